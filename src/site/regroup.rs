//! Grouping a few new releases without the whole site: the site the last
//! build grouped (kept with the build state, see
//! [`crate::delivery::snapshot`]) with the new releases put in front, when
//! that is exactly what grouping every release again would give.
//!
//! It is when each new release is newer than every release of the site
//! (so it goes first, and moves no other), has a URL no other release has
//! (so no duplicate is found and nothing is amended), and names only
//! names the site has, each spelled as grouping first met it and used by
//! at least two releases already, none of them a name `check` warns
//! about (so no display name, feed or warning changes). That is what a
//! cron run after a new release usually finds. Anything else is grouped
//! again in full ([`group::group`]), which is always right.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::input::names;
use crate::input::validate::Release;
use crate::site::group::{self, Site};
use crate::site::kinds;

/// The hash of a URL that the build state keeps for every release, to
/// tell whether a new release shares its URL with another. Two URLs with
/// one hash only cost a full grouping.
pub fn url_hash(url: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    url.hash(&mut h);
    h.finish()
}

/// `site` with the releases `new` added, as [`group::group`] would group
/// them with every release of `site`; `urls` holds the [`url_hash`] of
/// every release grouping saw (sorted). Each new release must be due.
/// `None` when grouping every release could give anything else: the run
/// groups them all.
pub fn add(site: Site, urls: &[u64], new: Vec<Arc<Release>>) -> Option<Site> {
    if new.is_empty() {
        return Some(site);
    }
    let new = group::newest_first(new);
    // Each new release goes first, and moves no other.
    let newest = site.releases.first()?;
    if new.last().is_some_and(|r| r.date <= newest.date) {
        return None;
    }
    let mut mine: Vec<u64> = new.iter().map(|r| url_hash(&r.url)).collect();
    mine.sort_unstable();
    // A URL of its own: no duplicate found, nothing amended.
    if mine.windows(2).any(|w| w[0] == w[1]) || mine.iter().any(|h| urls.binary_search(h).is_ok()) {
        return None;
    }
    // `check` looks for rare names only on a site this big.
    let (before, after) = (site.releases.len(), site.releases.len() + new.len());
    if before < names::RARE_MIN_SITE && after >= names::RARE_MIN_SITE {
        return None;
    }
    let Site {
        releases,
        mut names,
        kinds,
        ..
    } = site;
    for table in &mut names {
        let facts = &mut table.facts;
        let mut added = group::Lists::with_capacity(new.len());
        for r in &new {
            let mut ids: Vec<u32> = Vec::new();
            for spelling in kinds::terms(r, table.taxonomy) {
                // A spelling grouping met, of a name the site has...
                let at = facts
                    .spellings
                    .binary_search_by(|(s, _)| s.as_str().cmp(spelling))
                    .ok()?;
                let Some(id) = facts.spellings[at].1 else {
                    continue;
                };
                let n = id as usize;
                // ...spelled as grouping first met it (the display name
                // stays), on two releases or more (no release's count of
                // names no other has changes), and no warning about it.
                if facts.first[n] != *spelling || facts.warned[n] || facts.uses[n] < 2 {
                    return None;
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            added.push(&ids);
        }
        for &id in added.flat() {
            facts.uses[id as usize] += 1;
        }
        table.per_release = group::Lists::after(added, &table.per_release);
    }
    let mut all = new;
    all.extend(releases);
    let feeds = group::feeds(&kinds, &names, all.len());
    Some(Site {
        releases: all,
        names,
        kinds,
        feeds,
    })
}
