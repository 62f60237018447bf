//! Stage 6 and after: publish the files atomically into the output folder
//! ([`publish`]) within the output budget ([`budget`]), remember what the last build read and wrote ([`cache`]),
//! mirror the folder into an object store ([`deploy`]), tell the WebSub hubs
//! what changed ([`websub`]), and say how a web server must serve the folder
//! ([`serve`]).

pub mod budget;
pub mod cache;
pub mod deploy;
pub mod publish;
pub mod serve;
pub mod snapshot;
pub mod state;
pub mod websub;
