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

/// Why new releases cannot simply be added to the site: the run groups
/// every release again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regroup(pub &'static str);

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
pub fn add(site: Site, urls: &[u64], new: Vec<Arc<Release>>) -> Result<Site, Regroup> {
    if new.is_empty() {
        return Ok(site);
    }
    let new = group::newest_first(new);
    let newest = site.releases.first().ok_or(Regroup("the site is empty"))?;
    if new.last().is_some_and(|r| r.date <= newest.date) {
        return Err(Regroup("a new release is not newer than every other"));
    }
    let mut mine: Vec<u64> = new.iter().map(|r| url_hash(&r.url)).collect();
    mine.sort_unstable();
    if mine.windows(2).any(|w| w[0] == w[1]) || mine.iter().any(|h| urls.binary_search(h).is_ok()) {
        return Err(Regroup("a new release shares its URL with another"));
    }
    // `check` looks for rare names only on a site this big.
    let (before, after) = (site.releases.len(), site.releases.len() + new.len());
    if before < names::RARE_MIN_SITE && after >= names::RARE_MIN_SITE {
        return Err(Regroup(
            "the site grows past the size rare names are looked for at",
        ));
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
                let at = facts
                    .spellings
                    .binary_search_by(|(s, _)| s.as_str().cmp(spelling))
                    .map_err(|_| Regroup("a new release has a name spelled as no other"))?;
                let Some(id) = facts.spellings[at].1 else {
                    continue;
                };
                let n = id as usize;
                if facts.first[n] != *spelling {
                    return Err(Regroup("a new release spells a name another way first"));
                }
                if facts.warned[n] || facts.uses[n] < 2 {
                    return Err(Regroup(
                        "a new release has a rare name, or one check warns about",
                    ));
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
    Ok(Site {
        releases: all,
        names,
        kinds,
        feeds,
    })
}
