//! The seed files' paths, packed: one buffer of their bytes, one after
//! another, and where each ends. A million seeds' paths take two
//! allocations (about 50 MB) rather than a million (about 110 MB), and are
//! stored with the build state as they are ([`crate::delivery::snapshot`]).

use std::ffi::OsStr;
use std::ops::Index;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Paths, in the order they were put in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paths {
    bytes: Bytes,
    ends: Vec<u64>,
}

impl Paths {
    /// Room for `paths` paths of `bytes` bytes in all.
    pub fn with_capacity(paths: usize, bytes: usize) -> Paths {
        Paths {
            bytes: Bytes(Vec::with_capacity(bytes)),
            ends: Vec::with_capacity(paths),
        }
    }

    pub fn push(&mut self, path: &Path) {
        self.bytes.0.extend_from_slice(path.as_os_str().as_bytes());
        self.ends.push(self.bytes.0.len() as u64);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Path `n`, as bytes.
    pub fn bytes(&self, n: usize) -> &[u8] {
        let start = match n {
            0 => 0,
            _ => self.ends[n - 1] as usize,
        };
        &self.bytes.0[start..self.ends[n] as usize]
    }

    /// Where `path` is, when the paths are in the order of their bytes.
    pub fn find_sorted(&self, path: &Path) -> Option<usize> {
        let wanted = path.as_os_str().as_bytes();
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.bytes(mid).cmp(wanted) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Path> + Clone {
        (0..self.len()).map(|n| &self[n])
    }

    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = &Path> {
        (0..self.len()).into_par_iter().map(|n| &self[n])
    }

    /// Whether every path ends after the one before, and the last where
    /// the bytes do (a file pressfeed did not write this way would not).
    pub fn consistent(&self) -> bool {
        self.ends.is_sorted() && self.ends.last().map_or(0, |&e| e) == self.bytes.0.len() as u64
    }
}

impl Index<usize> for Paths {
    type Output = Path;
    fn index(&self, n: usize) -> &Path {
        Path::new(OsStr::from_bytes(self.bytes(n)))
    }
}

impl<'p> FromIterator<&'p Path> for Paths {
    fn from_iter<I: IntoIterator<Item = &'p Path>>(paths: I) -> Paths {
        let mut all = Paths::default();
        for path in paths {
            all.push(path);
        }
        all
    }
}

/// Bytes stored as one run, not byte by byte (postcard writes a `Vec<u8>`
/// as a sequence of bytes, each on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_paths_give_back_each_path_and_find_it_in_order() {
        let names = ["seeds/2020/a.md", "seeds/2020/b.md", "seeds/2021/ä.md"];
        let paths: Paths = names.iter().map(Path::new).collect();
        assert_eq!(paths.len(), 3);
        assert!(paths.consistent());
        for (n, name) in names.iter().enumerate() {
            assert_eq!(&paths[n], Path::new(name));
            assert_eq!(paths.find_sorted(Path::new(name)), Some(n));
        }
        assert_eq!(
            paths.iter().collect::<Vec<_>>(),
            paths.par_iter().collect::<Vec<_>>()
        );
        assert_eq!(paths.find_sorted(Path::new("seeds/2020/c.md")), None);
        // Read back from a file: ends that do not match the bytes are refused.
        let mut broken = paths.clone();
        broken.ends[1] = 1000;
        assert!(!broken.consistent());
        let mut broken = paths.clone();
        broken.bytes.0.pop();
        assert!(!broken.consistent());
    }
}
