//! Stages 1 and 2: find the seed files and read each one ([`load`]), parse
//! its front matter ([`frontmatter`], the one module that knows the YAML
//! library), check its fields into a [`validate::Release`] ([`validate`]),
//! with the rules that fold names ([`names`]). The seeds' paths are kept
//! packed ([`paths`]).

pub mod frontmatter;
pub mod load;
pub mod names;
pub mod paths;
pub mod validate;
