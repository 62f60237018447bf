//! Stages 3 and 5: group the releases into the feeds of every kind
//! ([`group`], [`kinds`]), then plan which documents each feed has and which
//! items each carries ([`plan`]), with its archive documents and history
//! pages ([`archive`]); every path of the output folder is made by
//! [`paths`].

pub mod archive;
pub mod group;
pub mod kinds;
pub mod paths;
pub mod plan;
