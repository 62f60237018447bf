//! Stages 3 and 5: group the releases into the feeds of every kind
//! ([`group`], [`kinds`]), then plan which documents each feed has and which
//! items each carries ([`plan`]), with its archive documents and history
//! pages ([`archive`]); every path of the output folder is made by
//! [`paths`]. A few new releases are added to the site the last build
//! grouped without grouping it all again when nothing else changes
//! ([`regroup`]).

pub mod archive;
pub mod group;
pub mod kinds;
pub mod paths;
pub mod plan;
pub mod regroup;
