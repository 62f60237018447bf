//! Deterministic synthetic press-release corpus, shaped like the real
//! beehive.govt.nz archive (see `../shared/corpus/README.md`), for benchmarks.
//!
//! ```text
//! cargo run --release -p synth -- --count 100000 --out target/synth-100k [--seed 42]
//! ```
//!
//! Writes `<out>/releases/YYYY/MM/YYYY-MM-DD-slug.md` (Markdown with YAML front
//! matter) and, last of all, `<out>/.synth-done` (a one-line summary; its
//! presence means the tree is complete). The same arguments give a
//! byte-identical tree on every run and machine: each file is drawn from its
//! own splitmix64 streams keyed by (seed, index), plus a sequential planning
//! pass (slug clashes, reposts) that runs in index order; all draws use
//! integer arithmetic (the only floats are IEEE `sqrt`/`*`/`/`, exactly
//! rounded everywhere), so neither the thread count nor the platform's libm
//! matters. Text comes from a small made-up vocabulary; no release text is
//! copied. Only std is used.
//!
//! What is reproduced (rates are those measured on the real archive): dates
//! 1996..Feb 2026 with the archive's per-year volumes; titles always
//! double-quoted, some with `&`, `\"`, `\u00a0`, `’` or macrons; unique
//! `url` slugs (Drupal-style `-0`, `-1` suffixes on clashes, numeric slugs in
//! 2000-2005) except ~0.05% reposts that reuse an earlier file's title and URL;
//! 1/2/3+ ministers at 94.3/5.3/0.4% (max 8) from ~250 name strings of people
//! active for a span of years, Zipf-like, "Hon "/"Rt Hon " from the October
//! 2017 change of government on; 1/2/3+ portfolios at 91.4/7.6/1% (max 10)
//! from 238 names, Zipf-like; attachments on ~4.6%; ~0.05% without
//! portfolios; ~0.1% empty bodies; body words with the archive's quantiles
//! (mean ~365, median 300, p99 ~1,600); Markdown features at the archive's
//! per-file rates (curly quotes, links incl. `/sites/...` and `mailto:`,
//! bullets, bold, hard breaks, images, headings, ordered lists, block quotes),
//! non-breaking spaces, en dashes and macrons in bodies.
//!
//! Deliberately *not* reproduced (the real corpus covers them): `0001-01-01`
//! dates, unquoted `Key: value` list items, control characters, scraped
//! link texts as minister names.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use std::{env, fs, process, thread};

const USAGE: &str = "usage: synth --count N --out DIR [--seed S]

Writes N synthetic press releases to DIR/releases/YYYY/MM/YYYY-MM-DD-slug.md.
Same arguments => byte-identical tree. DIR/releases must not already hold files.";

const MAX_COUNT: u64 = 50_000_000;

// ---------------------------------------------------------------------------
// Randomness: splitmix64, one independent stream per (file, purpose).
// ---------------------------------------------------------------------------

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

/// Stream ids for `Rng::for_file`.
const STREAM_TITLE: u64 = 1;
const STREAM_BODY: u64 = 2;

impl Rng {
    fn for_file(seed: u64, index: u64, stream: u64) -> Rng {
        let key = index.wrapping_mul(8).wrapping_add(stream);
        Rng(mix64(
            mix64(seed ^ GOLDEN) ^ mix64(key.wrapping_add(GOLDEN)),
        ))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn idx(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.idx(xs.len())]
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `ppm` parts per million.
    fn ppm(&mut self, ppm: u64) -> bool {
        self.below(1_000_000) < ppm
    }

    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// Integer cumulative weights; `sample` is a binary search.
struct Weighted {
    cum: Vec<u64>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = u64>) -> Weighted {
        let mut acc = 0;
        let cum = weights
            .into_iter()
            .map(|w| {
                acc += w.max(1);
                acc
            })
            .collect();
        Weighted { cum }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let x = rng.below(*self.cum.last().expect("non-empty table"));
        self.cum.partition_point(|&c| c <= x)
    }
}

/// Zipf-like weight 1 / rank^s (rank from 1), s = 0.75 if `steep` else 0.5,
/// scaled to an integer. Uses only sqrt, which IEEE 754 rounds exactly, so
/// the table is the same everywhere.
fn zipf_weight(rank: usize, steep: bool) -> u64 {
    let x = rank as f64;
    let p = if steep {
        x.sqrt() * x.sqrt().sqrt()
    } else {
        x.sqrt()
    };
    (1e12 / p) as u64
}

fn fnv1a(bytes: &[u8]) -> u128 {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for &c in bytes {
        a = (a ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ u64::from(c))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(23);
    }
    (u128::from(mix64(a)) << 64) | u128::from(mix64(b ^ bytes.len() as u64))
}

// ---------------------------------------------------------------------------
// Calendar: file i of n gets a date by its position in the archive's
// per-year volume, so dates rise with the index and a day holds a few files.
// ---------------------------------------------------------------------------

const FIRST_YEAR: u16 = 1996;
/// Releases per year in the real archive, 1996..=2026 (2026 up to 28 Feb).
const YEAR_WEIGHTS: [u64; 31] = [
    242, 1270, 1832, 2023, 2094, 2376, 1964, 1966, 2035, 1642, 2059, 2366, 2199, 1851, 2141, 1953,
    1852, 2435, 2088, 2306, 2536, 2146, 1885, 1503, 1339, 1231, 1337, 921, 1479, 1863, 231,
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
struct Date {
    y: u16,
    m: u8,
    d: u8,
}

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn month_len(y: u16, m: u8) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days of year `y` that releases fall on: (first day-of-year, how many).
fn year_window(y: u16) -> (u32, u32) {
    let len = if is_leap(y) { 366 } else { 365 };
    match y {
        1996 => (31, len - 31), // the archive starts in February 1996
        2026 => (0, 59),        // ... and ends on 28 February 2026
        _ => (0, len),
    }
}

fn date_from_ordinal(y: u16, mut day: u32) -> Date {
    let mut m = 1;
    while day >= month_len(y, m) {
        day -= month_len(y, m);
        m += 1;
    }
    Date {
        y,
        m,
        d: day as u8 + 1,
    }
}

fn date_of(i: u64, n: u64) -> Date {
    const SCALE: u128 = 1 << 20;
    let total: u64 = YEAR_WEIGHTS.iter().sum();
    let pos = u128::from(2 * i + 1) * u128::from(total) * SCALE / u128::from(2 * n);
    let mut acc = 0u128;
    for (k, &w) in YEAR_WEIGHTS.iter().enumerate() {
        let span = u128::from(w) * SCALE;
        if pos < acc + span {
            let y = FIRST_YEAR + k as u16;
            let (first, len) = year_window(y);
            let day = first + ((pos - acc) * u128::from(len) / span) as u32;
            return date_from_ordinal(y, day);
        }
        acc += span;
    }
    Date {
        y: 2026,
        m: 2,
        d: 28,
    }
}

/// Ministers are styled "Hon"/"Rt Hon" from the October 2017 change of
/// government on, as in the archive.
const HON_FROM: Date = Date {
    y: 2017,
    m: 10,
    d: 26,
};

// ---------------------------------------------------------------------------
// Vocabulary (made up for this generator).
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Aroha", "Ben", "Clare", "Damien", "Eleanor", "Fraser", "Grace", "Hemi", "Isla", "Jonah",
    "Kiri", "Liam", "Mere", "Nathan", "Olive", "Paora", "Quentin", "Rachel", "Sione", "Tania",
    "Ursula", "Vaughan", "Wiremu", "Yvette", "Alistair", "Bronwyn", "Callum", "Deborah", "Ewan",
    "Fiona", "Gareth", "Hinemoa", "Ivan", "Janine", "Kahu", "Lorraine", "Malcolm", "Niamh", "Owen",
    "Priya", "Rawiri", "Sandra", "Tevita", "Wendy", "Anaru", "Beatrice", "Cormac", "Delwyn",
    "Erin", "Felix", "Glenys", "Harriet", "Ihaia", "Joanna", "Keith", "Leilani", "Moana",
    "Neville", "Pania", "Rosalind", "Stuart", "Talia", "Warwick", "Xanthe",
];

#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Ashgrove", "Bramley", "Carrick", "Denholm", "Ellery", "Fairburn", "Galloway", "Harlow",
    "Ihimaera", "Jessop", "Kereama", "Lindqvist", "Marchant", "Ngapora", "Oakhurst", "Pennick",
    "Quaid", "Rutherglen", "Sefton", "Tamihana", "Upcott", "Vercoe", "Whitlock", "Yardley", "Ashby",
    "Brackenridge", "Corwen", "Dunmore", "Eastleigh", "Fenwick", "Glenholme", "Hawtrey",
    "Inglewood", "Kaiwai", "Lockerby", "Maraku", "Northcott", "Ormsby", "Paewai", "Renwick",
    "Stapleford", "Te Awhitu", "Tuilagi", "Vaifale", "Wakelin", "Aperahama", "Birchall", "Coulter",
    "Drysdale", "Elphick", "Fitzhardy", "Greaves", "Hollings", "Kingsford", "Latimer", "Mahuika",
    "Pomare-Reid", "Rowntree", "Tawhai", "Waretini", "Youngson",
];

#[rustfmt::skip]
const PORTFOLIOS_BASE: &[&str] = &[
    "Health", "Education", "Prime Minister", "Foreign Affairs", "Finance", "Transport", "Justice",
    "Conservation", "Environment", "Social Development", "Defence", "Agriculture",
    "Economic Development", "Police", "Revenue", "Housing", "Arts, Culture and Heritage",
    "Commerce", "Internal Affairs", "Tourism", "Deputy Prime Minister", "Attorney-General", "Trade",
    "Immigration", "Energy", "Corrections", "Maori Affairs", "Primary Industries", "Labour",
    "Fisheries", "Treaty Negotiations", "Local Government", "Energy and Resources",
    "Communications", "Courts", "Building and Construction", "Science and Innovation",
    "Tertiary Education", "Employment", "Youth Affairs", "Consumer Affairs", "Civil Defence",
    "Customs", "Disability Issues", "Sport and Recreation", "Trade Negotiations",
    "Accident Compensation", "Community and Voluntary Sector", "State Services",
    "Māori Development", "Broadcasting", "Biosecurity", "State Owned Enterprises",
    "Pacific Peoples", "Climate Change", "Regional Development", "Forestry", "Land Information",
    "Workplace Relations and Safety", "Food Safety", "Research, Science and Technology",
    "Small Business", "Infrastructure", "Women's Affairs", "Disarmament and Arms Control", "Racing",
    "Statistics", "Veterans' Affairs", "Senior Citizens", "Ethnic Communities", "Social Housing",
    "Children", "Mental Health", "Rural Communities", "Information Technology", "Digital Economy",
    "Emergency Management", "Oceans", "Seniors", "Cultural Affairs", "Resources", "Regulation",
    "National Library", "Leader of the House", "Whānau Ora", "Public Service",
    "Child Poverty Reduction", "Archives", "Economic Growth", "Space", "Rail", "Urban Development",
    "Family Violence Prevention", "Water", "Hunting and Fishing", "Antarctic Affairs",
    "Civil Aviation", "Competition", "Lands", "Treasurer", "Export Growth", "Manufacturing",
    "Productivity", "Skills", "Wellbeing", "Crown Research", "Security and Intelligence",
    "Cyber Security", "Coastal Affairs", "Freshwater", "Road Safety", "Public Transport",
    "Ports and Shipping", "Forest Management", "Heritage Buildings", "Museums", "Libraries",
    "Broadband", "Postal Services", "Consumer Protection", "Insurance", "Superannuation",
    "Inland Revenue", "Audit", "Electoral Reform", "Constitutional Affairs", "Maori Education",
    "Māori Crown Relations", "Whanau Ora", "Rangatahi Development", "Pacific Economic Development",
    "Drought Recovery", "Flood Recovery", "Earthquake Recovery", "Cyclone Response",
    "Pandemic Response", "Regional Ports", "Aquaculture", "Horticulture", "Viticulture", "Dairy",
    "Wool", "Apprenticeships", "Early Childhood Education", "Schools Property",
    "Vocational Training", "Student Support", "Nursing Workforce", "Primary Care",
    "Hospital Services", "Aged Care", "Disability Support", "Carers", "Housing Supply", "Tenancy",
    "Building Quality", "Urban Design", "Resource Management", "Waste Minimisation", "Biodiversity",
    "Predator Control", "Marine Reserves", "National Parks", "Major Events", "Screen Industry",
    "Music", "Creative Industries", "Community Safety", "Firearms", "Victims", "Youth Justice",
    "Legal Aid", "Prisons", "Border Security", "Maritime", "Trade Promotion", "Investment",
    "Tax Policy", "Government Digital Services", "Open Government", "Official Information", "Data",
    "Pacific Island Affairs", "Community Development", "Energy Efficiency", "Water Services",
    "Coastal Shipping", "Gaming and Lotteries", "Fire and Emergency", "Ambulance Services",
    "Cycling and Walking", "Outdoor Recreation", "Adult Literacy", "Te Reo Māori",
    "Pacific Languages", "Regional Tourism", "Film and Television", "Local Democracy", "Census",
    "Natural Hazards",
];

#[rustfmt::skip]
const ASSOCIATE_OF: &[&str] = &[
    "Health", "Education", "Finance", "Justice", "Transport", "Housing", "Agriculture",
    "Foreign Affairs and Trade", "Social Development", "Immigration", "Revenue", "the Environment",
    "Local Government", "Police", "Conservation", "Economic Development", "Energy", "Tourism",
    "Arts, Culture and Heritage", "Women's Affairs", "Forestry", "Corrections", "Commerce",
    "State Services",
];

#[rustfmt::skip]
const PLACES: &[&str] = &[
    "Auckland", "Wellington", "Christchurch", "Hamilton", "Dunedin", "Tauranga", "Nelson",
    "Karoroa", "Ōpārau", "Tāhuna Bay", "Port Halcombe", "Mereki", "Whakatiri", "Rangiwhetu",
    "Ashbridge", "Kōwhai Valley", "Te Ahurangi", "Northbrook", "Waimokoia", "Glenfallow",
    "Pūkeko Flats", "Matarangi Heights", "Westhaven", "Okiwa", "Te Rerenga", "Hollowbank",
    "Ruamoko", "Stonecliff", "Kaiaraara", "Lake Tūwhara",
];

#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "Government", "funding", "community", "communities", "programme", "project", "support",
    "services", "people", "families", "schools", "region", "regions", "investment", "economy",
    "sector", "workers", "jobs", "housing", "homes", "infrastructure", "council", "district",
    "roads", "rail", "water", "legislation", "Bill", "review", "report", "plan", "strategy",
    "package", "changes", "businesses", "industry", "exporters", "farmers", "growers", "trade",
    "agreement", "partnership", "iwi", "hapū", "whānau", "rangatahi", "marae", "students",
    "teachers", "nurses", "doctors", "hospital", "patients", "courts", "safety", "environment",
    "conservation", "climate", "emissions", "energy", "science", "research", "innovation",
    "technology", "data", "tourism", "visitors", "culture", "heritage", "arts", "sport", "youth",
    "children", "seniors", "veterans", "employment", "training", "skills", "apprenticeships",
    "wellbeing", "resilience", "recovery", "response", "flooding", "biosecurity", "fisheries",
    "forestry", "land", "coast", "harbour", "transport", "network", "Budget", "spending",
    "taxpayers", "revenue", "costs", "prices", "consultation", "submissions", "feedback", "board",
    "members", "appointments", "committee", "officials", "agencies", "Ministry", "department",
    "framework", "outcomes", "targets", "progress", "results", "year", "years", "months", "week",
    "future", "country", "partners", "neighbours", "Pacific", "New Zealand", "New Zealanders",
    "Aotearoa", "Minister", "Cabinet", "Parliament", "Crown", "settlement", "claims",
    "negotiations", "relationship", "system", "process", "approach", "decision", "announcement",
    "initiative", "scheme", "facility", "centre", "site", "upgrade", "pathway", "access", "options",
    "evidence", "advice", "standards", "rules", "regulations", "levy", "grants", "loans",
    "contracts", "suppliers", "volunteers", "leaders", "mayors", "ratepayers", "residents",
    "tenants", "landlords", "employers", "unions", "providers", "clinicians", "learners", "whenua",
];

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "will deliver", "announced", "said", "welcomed", "confirmed", "launched", "supports",
    "provides", "ensures", "improves", "invests", "expands", "reduces", "increases", "builds",
    "strengthens", "helps", "protects", "creates", "opens", "extends", "introduces", "delivers",
    "includes", "allows", "enables", "requires", "means", "continues", "follows", "reflects",
    "recognises", "encourages", "targets", "addresses", "will support", "will help", "has agreed",
    "is working", "will provide", "was signed", "will begin", "has been", "will be", "are expected",
    "can apply", "will receive", "is committed",
];

#[rustfmt::skip]
const ADJS: &[&str] = &[
    "new", "significant", "important", "local", "national", "regional", "rural", "urban", "better",
    "stronger", "safer", "fairer", "sustainable", "affordable", "additional", "further",
    "practical", "long-term", "major", "key", "critical", "independent", "public", "private",
    "international", "economic", "social", "cultural", "essential", "targeted", "modern",
    "resilient", "productive", "innovative", "vulnerable", "early", "first", "second", "final",
    "annual", "successful", "clear", "strong", "wider", "frontline", "low-income", "high-quality",
    "community-led", "iwi-led", "world-class", "timely",
];

#[rustfmt::skip]
const OPENERS: &[&str] = &[
    "The Government", "This", "New Zealand", "The Minister", "Funding", "The programme",
    "Local communities", "The new fund", "Work", "It", "We", "These changes", "Officials",
    "The Bill", "Applications", "The review", "Our plan", "The package", "Many providers",
    "The Ministry", "Councils", "Iwi", "The investment", "The agreement", "Cabinet", "The project",
    "Every region", "Families", "The board", "The strategy",
];

#[rustfmt::skip]
const ADVERBIALS: &[&str] = &[
    "In addition,", "Under the plan,", "Since then,", "Over the next year,", "Last year,",
    "As part of this,", "Today,", "From 1 July,", "At the same time,", "In the meantime,",
    "Once complete,", "Overall,",
];

const DETERMINERS: &[&str] = &[
    "the", "the", "the", "a", "our", "their", "this", "these", "more", "every", "local", "new",
];

#[rustfmt::skip]
const PREPS: &[&str] = &[
    "of", "of", "to", "in", "in", "for", "for", "with", "on", "across", "from", "through", "under",
    "over", "by", "at", "into", "alongside",
];

const CONJUNCTIONS: &[&str] = &["and", "and", "which", "while", "so", "because", "as", "but"];

#[rustfmt::skip]
const PLACES_ASCII: &[&str] = &[
    "Auckland", "Wellington", "Christchurch", "Hamilton", "Dunedin", "Tauranga", "Nelson",
    "Karoroa", "Port Halcombe", "Mereki", "Northbrook", "Glenfallow", "Westhaven", "Okiwa",
];

#[rustfmt::skip]
const T_SUBJECTS: &[&str] = &[
    "Government", "New Zealand", "Minister", "Ministers", "Crown", "Police", "Council", "Iwi",
    "Kiwi exporters", "Schools", "Regions", "Cabinet", "Treasury", "Communities", "Farmers",
    "Hospitals", "Students", "Businesses", "NZ",
];

#[rustfmt::skip]
const T_VERBS: &[&str] = &[
    "backs", "boosts", "confirms", "welcomes", "launches", "opens", "extends", "announces",
    "supports", "delivers", "unveils", "secures", "strengthens", "funds", "celebrates", "marks",
    "releases", "appoints", "targets", "expands", "reviews", "invests in", "commits to", "signs",
    "clears", "upgrades", "praises", "rejects", "urges action on", "to attend",
];

const T_LEADS: &[&str] = &[
    "New", "Major", "More", "Further", "Record", "Extra", "Faster", "Better", "Fairer", "Stronger",
    "Safer", "First", "Final", "Next", "Updated", "Improved",
];

const T_PREPS: &[&str] = &["for", "in", "to", "on", "at", "across", "with", "after"];

#[rustfmt::skip]
const BOARDS: &[&str] = &[
    "Board", "Trust", "Authority", "Commission", "Council", "Advisory Group", "Tribunal",
    "Foundation",
];

#[rustfmt::skip]
const EVENTS: &[&str] = &[
    "Business Forum", "Summit", "Conference", "Hui", "Symposium", "Annual Meeting",
    "Leaders’ Dinner", "Chamber of Commerce", "Trade Mission", "Fieldays",
];

#[rustfmt::skip]
const DOMAINS: &[&str] = &[
    "www.health.govt.nz", "www.education.govt.nz", "www.legislation.govt.nz", "www.karoroa.govt.nz",
    "www.transport.govt.nz", "consult.example.govt.nz", "www.police.govt.nz", "www.stats.govt.nz",
    "www.treasury.govt.nz", "www.govt.nz", "www.opararau-trust.org.nz", "www.mereki.nz",
];

#[rustfmt::skip]
const LINK_LEADS: &[&str] = &[
    "More information is available at", "Read the full report on the", "Find out more at the",
    "The consultation document can be found on the", "Details are available on the",
    "Submissions can be made through the", "The full list is published on the",
];

/// File-name words for attachments, linked documents and images.
#[rustfmt::skip]
const DOC_WORDS: &[&str] = &[
    "Cabinet", "Paper", "Factsheet", "Report", "Summary", "Regulatory", "Impact", "Statement",
    "Map", "Plan", "Terms", "Reference", "Letter", "Proposal", "Budget", "Overview", "Appendix",
    "QandA", "Final", "Draft", "A",
];

const STOPWORDS: &[&str] = &[
    "a", "an", "as", "at", "before", "but", "by", "for", "from", "is", "in", "into", "like", "of",
    "off", "on", "onto", "per", "since", "than", "the", "this", "that", "to", "up", "via", "with",
];

/// Quantiles (per million) of body word counts, linearly interpolated: the
/// real archive's (p1 91, median 300, p99 1,621, max 14,822), trimmed by a few
/// per cent because Markdown features and sign-offs add words on top.
const WORD_KNOTS: &[(u64, u64)] = &[
    (0, 12),
    (10_000, 88),
    (50_000, 140),
    (100_000, 170),
    (250_000, 224),
    (500_000, 296),
    (750_000, 392),
    (900_000, 555),
    (950_000, 725),
    (980_000, 1_100),
    (990_000, 1_610),
    (999_000, 3_100),
    (999_900, 6_000),
    (1_000_000, 14_000),
];

// ---------------------------------------------------------------------------
// The world: people, portfolios and who is active when. Built from the seed.
// ---------------------------------------------------------------------------

struct Person {
    plain: String,
    styled: String,
}

struct World {
    people: Vec<Person>,
    /// Per year since FIRST_YEAR: active people and their popularity.
    active: Vec<(Vec<usize>, Weighted)>,
    portfolios: Vec<String>,
    portfolio_w: Weighted,
}

const PEOPLE: usize = 232;
const PORTFOLIOS: usize = 238;

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng::for_file(seed, u64::MAX, 0);
        let mut seen = HashSet::new();
        let mut people = Vec::with_capacity(PEOPLE);
        let mut spans = Vec::with_capacity(PEOPLE);
        // Popularity rank: a seeded shuffle of 0..PEOPLE.
        let mut rank: Vec<usize> = (0..PEOPLE).collect();
        for k in (1..PEOPLE).rev() {
            rank.swap(k, rng.idx(k + 1));
        }
        while people.len() < PEOPLE {
            let k = people.len();
            let first = rng.pick(FIRST_NAMES);
            let last = rng.pick(SURNAMES);
            if !seen.insert((first, last)) {
                continue;
            }
            let dr = if rng.pct(6) { "Dr " } else { "" };
            let plain = format!("{dr}{first} {last}");
            let hon = if rank[k] < 8 { "Rt Hon" } else { "Hon" };
            let styled = format!("{hon} {plain}");
            // Starts spread evenly over 1989..2027, 2-7 years in office, a
            // quarter of them much longer.
            let start = 1989 + (k * 38 / PEOPLE) as u16 + rng.below(3) as u16;
            let mut span = 2 + rng.below(6) as u16;
            if rng.pct(25) {
                span += rng.below(10) as u16;
            }
            spans.push((start, start + span - 1));
            people.push(Person { plain, styled });
        }
        let active = (0..YEAR_WEIGHTS.len())
            .map(|k| {
                let y = FIRST_YEAR + k as u16;
                // Distance of year y from each person's term (0 = in office).
                let off = |p: usize| spans[p].0.saturating_sub(y) + y.saturating_sub(spans[p].1);
                let mut ids: Vec<usize> = (0..PEOPLE).filter(|&p| off(p) == 0).collect();
                if ids.len() < 8 {
                    // Never seen with the spread above; keep 8 to draw from.
                    ids = (0..PEOPLE).collect();
                    ids.sort_by_key(|&p| (off(p), p));
                    ids.truncate(8);
                }
                let w = Weighted::new(ids.iter().map(|&p| zipf_weight(rank[p] + 1, false)));
                (ids, w)
            })
            .collect();

        let mut portfolios: Vec<String> = Vec::with_capacity(PORTFOLIOS);
        let mut seen = HashSet::new();
        let budgets = (2009..=2025).map(|y| format!("Budget {y}"));
        let associates = ASSOCIATE_OF.iter().enumerate().map(|(k, a)| {
            // A few with the archive's double space.
            let gap = if k % 8 == 3 { "  " } else { " " };
            let of = if a.starts_with("the ") { "for" } else { "of" };
            format!("Associate{gap}Minister {of} {a}")
        });
        let all = PORTFOLIOS_BASE
            .iter()
            .map(|s| s.to_string())
            .chain(budgets)
            .chain(associates);
        for p in all {
            if portfolios.len() < PORTFOLIOS && seen.insert(p.clone()) {
                portfolios.push(p);
            }
        }
        assert_eq!(portfolios.len(), PORTFOLIOS);
        let portfolio_w = Weighted::new((1..=PORTFOLIOS).map(|r| zipf_weight(r, true)));
        World {
            people,
            active,
            portfolios,
            portfolio_w,
        }
    }
}

// ---------------------------------------------------------------------------
// Titles and slugs.
// ---------------------------------------------------------------------------

/// Per-file facts decided on the title stream.
struct Head {
    /// Candidate for reusing an earlier file's URL (a repost).
    dup_target: Option<u64>,
    /// Pre-Drupal numeric URL (`/release/12345`).
    numeric: bool,
}

fn gen_head(seed: u64, i: u64, date: Date, title: &mut String) -> Head {
    let mut rng = Rng::for_file(seed, i, STREAM_TITLE);
    let dup = rng.ppm(500) && i > 0;
    let target = rng.below(i.max(1));
    let numeric = (2000..=2005).contains(&date.y) && rng.pct(17);
    gen_title(&mut rng, date, title);
    Head {
        dup_target: dup.then_some(target),
        numeric,
    }
}

/// A place name for a title: ones with macrons are rarer there (2% of
/// titles in the archive have a macron).
fn push_place(rng: &mut Rng, t: &mut String) {
    let place = rng.pick(PLACES);
    if place.is_ascii() || rng.pct(15) {
        t.push_str(place);
    } else {
        t.push_str(rng.pick(PLACES_ASCII));
    }
}

/// A title noun phrase: `[adj] noun`, sometimes `noun & noun`.
fn push_object(rng: &mut Rng, t: &mut String, amp: bool) {
    if rng.pct(65) {
        t.push_str(rng.pick(ADJS));
        t.push(' ');
    }
    t.push_str(rng.pick(NOUNS));
    if amp {
        t.push_str(" & ");
        t.push_str(rng.pick(NOUNS));
    }
}

fn gen_title(rng: &mut Rng, date: Date, t: &mut String) {
    t.clear();
    let amp = rng.ppm(9_500);
    let mut quoted = rng.ppm(1_700);
    let nbsp = rng.ppm(1_700);
    let possessive = rng.ppm(40_000);
    if possessive {
        t.push_str(rng.pick(&["Government", "New Zealand", "Region", "Council", "Minister"]));
        t.push_str("’s ");
        t.push_str(rng.pick(ADJS));
        t.push(' ');
        t.push_str(rng.pick(NOUNS));
        t.push(' ');
        t.push_str(rng.pick(T_VERBS));
        t.push(' ');
        push_object(rng, t, amp);
    } else {
        match rng.below(100) {
            0..=39 => {
                t.push_str(rng.pick(T_SUBJECTS));
                t.push(' ');
                t.push_str(rng.pick(T_VERBS));
                t.push(' ');
                if quoted {
                    t.push('"');
                }
                push_object(rng, t, amp);
                if quoted {
                    t.push('"');
                    quoted = false;
                }
                if rng.pct(80) {
                    t.push(' ');
                    t.push_str(rng.pick(T_PREPS));
                    t.push(' ');
                    if rng.pct(50) {
                        push_place(rng, t);
                    } else {
                        push_object(rng, t, false);
                    }
                }
            }
            40..=62 => {
                t.push_str(rng.pick(T_LEADS));
                t.push(' ');
                push_object(rng, t, amp);
                t.push(' ');
                t.push_str(rng.pick(T_PREPS));
                t.push(' ');
                if rng.pct(60) {
                    push_place(rng, t);
                    t.push(' ');
                }
                t.push_str(rng.pick(NOUNS));
            }
            63..=72 => {
                match rng.below(3) {
                    0 => t.push_str("Appointments to the "),
                    1 => t.push_str("New chair for "),
                    _ => t.push_str("Members named for "),
                }
                push_place(rng, t);
                t.push(' ');
                t.push_str(rng.pick(BOARDS));
            }
            73..=80 => {
                t.push_str(rng.pick(&["Speech to the ", "Address to the ", "Remarks at the "]));
                push_place(rng, t);
                t.push(' ');
                t.push_str(rng.pick(EVENTS));
            }
            81..=88 => {
                let y = date.y + rng.below(2) as u16;
                let _ = write!(t, "Budget {y}: ");
                t.push_str(rng.pick(T_LEADS));
                t.push(' ');
                push_object(rng, t, amp);
                t.push(' ');
                t.push_str(rng.pick(T_PREPS));
                t.push(' ');
                t.push_str(rng.pick(NOUNS));
            }
            _ => {
                let n = rng.range(2, 950);
                if rng.pct(20) {
                    let _ = write!(t, "${}.{} million ", n / 10 + 1, n % 10);
                } else {
                    let _ = write!(t, "${n} million ");
                }
                t.push_str(rng.pick(T_PREPS));
                t.push(' ');
                push_place(rng, t);
                t.push(' ');
                push_object(rng, t, amp);
            }
        }
    }
    // Short titles get a trailing place or purpose.
    if t.len() < 38 && rng.pct(65) {
        t.push(' ');
        t.push_str(rng.pick(&["in", "for", "across", "at"]));
        t.push(' ');
        push_place(rng, t);
    }
    // Sentence case: the first letter is upper case.
    if let Some(c) = t.chars().next()
        && c.is_ascii_lowercase()
    {
        t[..1].make_ascii_uppercase();
    }
    if nbsp && let Some(pos) = t.rfind(' ') {
        t.replace_range(pos..pos + 1, "\u{a0}");
    }
    if quoted {
        t.insert(0, '"');
        t.push('"');
    }
}

/// Drupal/pathauto-like slug: lower case, macrons folded, `&` and apostrophes
/// dropped, other punctuation splits words, stop words removed, <= 100 chars.
fn slugify(title: &str, slug: &mut String) {
    slug.clear();
    let mut word_start = None;
    let end_word = |slug: &mut String, start: usize| {
        if STOPWORDS.contains(&&slug[start..]) || slug.len() > 100 {
            slug.truncate(start.saturating_sub(1));
        }
    };
    for c in title.chars() {
        let folded = match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            'ā' | 'Ā' => 'a',
            'ē' | 'Ē' => 'e',
            'ī' | 'Ī' => 'i',
            'ō' | 'Ō' => 'o',
            'ū' | 'Ū' => 'u',
            '&' | '\'' | '’' | '.' | '$' => continue,
            _ => {
                if let Some(start) = word_start.take() {
                    end_word(slug, start);
                }
                continue;
            }
        };
        if word_start.is_none() {
            if !slug.is_empty() {
                slug.push('-');
            }
            word_start = Some(slug.len());
        }
        slug.push(folded);
    }
    if let Some(start) = word_start {
        end_word(slug, start);
    }
}

fn push_yaml_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{a0}' => out.push_str("\\u00a0"),
            _ => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// Bodies.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Quotes {
    Curly,
    Straight,
    None,
}

#[derive(Clone, Copy)]
enum Feature {
    Link,
    Bullets,
    Bold,
    Image,
    Heading,
    Ordered,
    BlockQuote,
}

struct Body<'a> {
    rng: Rng,
    out: &'a mut String,
    words: u64,
    quotes: Quotes,
    nbsp_left: u32,
    dash_left: u32,
    macron_ok: bool,
    speaker: &'a str,
    date: Date,
}

impl Body<'_> {
    fn word(&mut self, w: &str) {
        if self.nbsp_left > 0 && self.rng.pct(2) {
            self.nbsp_left -= 1;
            self.out.push('\u{a0}');
        } else {
            self.out.push(' ');
        }
        self.out.push_str(w);
        self.words += word_count(w);
    }

    fn apostrophe(&self) -> &'static str {
        if self.quotes == Quotes::Curly {
            "’"
        } else {
            "'"
        }
    }

    fn number(&mut self) {
        self.out.push(' ');
        let space = if self.nbsp_left > 0 && self.rng.pct(50) {
            self.nbsp_left -= 1;
            "\u{a0}"
        } else {
            " "
        };
        match self.rng.below(5) {
            0 | 1 => {
                let n = self.rng.range(1, 990);
                let unit = if self.rng.pct(85) {
                    "million"
                } else {
                    "billion"
                };
                if self.rng.pct(40) {
                    let _ = write!(self.out, "${}.{}{space}{unit}", n / 10 + 1, n % 10);
                } else {
                    let _ = write!(self.out, "${n}{space}{unit}");
                }
                self.words += 1;
            }
            2 => {
                let n = self.rng.range(1_000, 99_999);
                let _ = write!(self.out, "{},{:03}", n / 1000, n % 1000);
            }
            3 => {
                let n = self.rng.range(2, 95);
                let _ = write!(self.out, "{n}{space}per cent");
                self.words += 2;
            }
            _ => {
                let y = self
                    .rng
                    .range(u64::from(self.date.y) - 10, u64::from(self.date.y) + 5);
                let _ = write!(self.out, "{y}");
            }
        }
        self.words += 1;
    }

    /// A noun phrase: `[determiner] [adjective] noun`, or a number or place.
    fn noun_phrase(&mut self) {
        match self.rng.below(100) {
            0..=4 => return self.number(),
            5..=8 => {
                let place = if self.macron_ok {
                    self.rng.pick(PLACES)
                } else {
                    self.rng.pick(PLACES_ASCII)
                };
                return self.word(place);
            }
            _ => {}
        }
        if self.rng.pct(55) {
            let w = self.rng.pick(DETERMINERS);
            self.word(w);
        }
        if self.rng.pct(35) {
            let w = self.rng.pick(ADJS);
            self.word(w);
        }
        let mut w = self.rng.pick(NOUNS);
        if !self.macron_ok && !w.is_ascii() {
            w = match w {
                "hapū" => "hapu",
                "whānau" => "whanau",
                _ => "people",
            };
        }
        self.word(w);
        if self.rng.pct(3) {
            self.out.push_str(self.apostrophe());
            if !w.ends_with('s') {
                self.out.push('s');
            }
        }
    }

    /// One sentence of about `len` words, capitalised, ended by `end`.
    fn sentence(&mut self, len: u64, end: &str) {
        #[derive(PartialEq)]
        enum Next {
            Subject,
            Verb,
            Object,
            Tail,
        }
        let start = self.words;
        let mut next = Next::Verb;
        if self.rng.pct(15) {
            let w = self.rng.pick(ADVERBIALS);
            self.out.push_str(w);
            self.words += word_count(w);
            next = Next::Subject;
        } else {
            let w = self.rng.pick(OPENERS);
            self.out.push_str(w);
            self.words += word_count(w);
        }
        while self.words - start < len || next == Next::Subject {
            match next {
                Next::Subject => {
                    self.noun_phrase();
                    next = Next::Verb;
                }
                Next::Verb => {
                    let w = self.rng.pick(VERBS);
                    self.word(w);
                    next = Next::Object;
                }
                Next::Object => {
                    self.noun_phrase();
                    next = Next::Tail;
                }
                Next::Tail => match self.rng.below(100) {
                    0..=64 => {
                        let w = self.rng.pick(PREPS);
                        self.word(w);
                        self.noun_phrase();
                    }
                    65..=84 => {
                        if self.rng.pct(50) {
                            self.out.push(',');
                        }
                        let w = self.rng.pick(CONJUNCTIONS);
                        self.word(w);
                        next = if w == "which" || w == "and" {
                            Next::Verb
                        } else {
                            Next::Subject
                        };
                    }
                    _ => {
                        if self.dash_left > 0 && self.rng.pct(40) {
                            self.dash_left -= 1;
                            self.out.push_str(" –");
                        } else {
                            self.out.push(',');
                        }
                        let w = self.rng.pick(PREPS);
                        self.word(w);
                        self.noun_phrase();
                    }
                },
            }
        }
        self.out.push_str(end);
    }

    fn paragraph(&mut self, index: u32, target: u64) {
        let sentences = match self.rng.below(100) {
            0..=14 => 1,
            15..=49 => 2,
            50..=74 => 3,
            75..=89 => 4,
            _ => 5,
        };
        let quote = self.quotes != Quotes::None
            && (index == 1 || (index == 0 && target < 80) || self.rng.pct(35));
        let (open, close) = match self.quotes {
            Quotes::Curly => ("“", "”"),
            _ => ("\"", "\""),
        };
        if quote {
            self.out.push_str(open);
        }
        for s in 0..sentences {
            if s > 0 {
                if self.words >= target {
                    break;
                }
                self.out.push(' ');
            }
            let len = self
                .rng
                .range(6, 22)
                .min(target.saturating_sub(self.words).max(4));
            self.sentence(len, ".");
        }
        if quote {
            self.out.pop();
            self.out.push(',');
            self.out.push_str(close);
            if self.rng.pct(50) {
                self.out.push_str(" said ");
                self.out.push_str(self.speaker);
            } else {
                self.out.push(' ');
                self.out.push_str(self.speaker);
                self.out.push_str(" said");
            }
            self.out.push('.');
            self.words += 1 + word_count(self.speaker);
        }
    }

    fn link(&mut self) {
        let kind = self.rng.below(1000);
        if kind < 28 {
            // mailto:
            let len = self.rng.range(4, 10);
            self.sentence(len, ".");
            self.out.push_str(" Contact ");
            let email = self.speaker_email();
            let _ = write!(self.out, "[{email}](mailto:{email}).");
            self.words += 2;
            return;
        }
        let lead = self.rng.pick(LINK_LEADS);
        self.out.push_str(lead);
        self.words += 1 + lead.bytes().filter(|&b| b == b' ').count() as u64;
        self.out.push_str(" [");
        let anchor = self
            .rng
            .pick(&["website", "Ministry website", "here", "report", "portal"]);
        self.out.push_str(anchor);
        self.out.push_str("](");
        if kind < 43 {
            let _ = write!(
                self.out,
                "/sites/default/files/{}-{:02}/",
                self.date.y, self.date.m
            );
            self.doc_name("%20");
            self.out.push_str(".pdf");
        } else if kind < 330 {
            self.out.push_str("https://www.beehive.govt.nz/release/");
            for k in 0..self.rng.range(3, 8) {
                if k > 0 {
                    self.out.push('-');
                }
                self.out.push_str(
                    self.rng
                        .pick(&["new", "funding", "support", "boost", "plan"]),
                );
            }
        } else {
            self.out.push_str("https://");
            self.out.push_str(self.rng.pick(DOMAINS));
            for _ in 0..self.rng.range(0, 3) {
                self.out.push('/');
                self.out
                    .push_str(self.rng.pick(&["news", "consultation", "reports", "about"]));
            }
            self.out.push('/');
        }
        self.out.push_str(").");
        self.words += 1;
    }

    fn speaker_email(&self) -> String {
        // Stand-in for the press secretary's address: derived from the
        // speaker's name (rare, so the allocation does not matter).
        let mut parts = self.speaker.rsplitn(2, ' ');
        let last = parts.next().unwrap_or("office");
        let first = parts.next().unwrap_or("media");
        let first = first.rsplit(' ').next().unwrap_or(first);
        format!(
            "{}.{}@parliament.govt.nz",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase()
        )
    }

    /// `Capitalised%20Words` for document and image file names.
    fn doc_name(&mut self, sep: &str) {
        for k in 0..self.rng.range(1, 4) {
            if k > 0 {
                self.out.push_str(sep);
            }
            let w = self.rng.pick(DOC_WORDS);
            self.out.push_str(w);
        }
    }

    fn feature(&mut self, f: Feature) {
        match f {
            Feature::Link => self.link(),
            Feature::Bullets => {
                let items = self.rng.range(2, 7);
                let bold_lead = self.rng.pct(25);
                for k in 0..items {
                    if k > 0 {
                        self.out.push('\n');
                    }
                    self.out.push_str("- ");
                    self.words += 1;
                    if bold_lead {
                        let _ = write!(self.out, "**{}:** ", self.rng.pick(T_LEADS));
                        self.words += 1;
                    }
                    let len = self.rng.range(3, 16);
                    let end = if self.rng.pct(50) { "" } else { ";" };
                    self.sentence(len, end);
                }
            }
            Feature::Bold => match self.rng.below(3) {
                0 => self.out.push_str("**Notes to editors:**"),
                1 => {
                    self.out.push_str("**");
                    let len = self.rng.range(3, 9);
                    self.sentence(len, "**");
                }
                _ => {
                    let len = self.rng.range(5, 12);
                    self.sentence(len, "");
                    self.out.push_str(" **");
                    self.out.push_str(self.rng.pick(ADJS));
                    self.out.push(' ');
                    self.out.push_str(self.rng.pick(NOUNS));
                    self.out.push_str("**.");
                    self.words += 2;
                }
            },
            Feature::Image => {
                self.out.push_str("![");
                let len = self.rng.range(3, 10);
                self.sentence(len, "");
                self.out
                    .push_str("](/sites/default/files/styles/embed_medium/public/images/");
                self.doc_name("-");
                self.out.push_str(".jpg?itok=");
                for _ in 0..8 {
                    let c = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
                        [self.rng.idx(58)];
                    self.out.push(c as char);
                }
                self.out.push(')');
            }
            Feature::Heading => {
                let (open, close) = match self.rng.below(5) {
                    0 | 1 => ("### ", ""),
                    2 => ("#### ", ""),
                    3 => ("## ", ""),
                    _ => ("#### **", "**"),
                };
                self.out.push_str(open);
                let len = self.rng.range(1, 6);
                self.sentence(len, close);
            }
            Feature::Ordered => {
                for k in 1..=self.rng.range(2, 6) {
                    if k > 1 {
                        self.out.push('\n');
                    }
                    let _ = write!(self.out, "{k}. ");
                    let len = self.rng.range(3, 14);
                    self.sentence(len, ".");
                }
            }
            Feature::BlockQuote => {
                for k in 0..self.rng.range(1, 4) {
                    if k > 0 {
                        self.out.push_str("  \n");
                    }
                    self.out.push_str("> ");
                    let len = self.rng.range(2, 12);
                    self.sentence(len, "");
                }
            }
        }
    }

    /// Sign-off block with hard line breaks (two trailing spaces).
    fn contact_block(&mut self) {
        let lines = self.rng.range(2, 4);
        self.out.push_str("Contact: ");
        self.out.push_str(self.speaker);
        for _ in 1..lines {
            self.out.push_str("  \n");
            match self.rng.below(3) {
                0 => {
                    let n = self.rng.range(100_000, 9_999_999);
                    let _ = write!(self.out, "021 {:03} {:04}", n / 10_000, n % 10_000);
                }
                1 => self.out.push_str("Press Secretary"),
                _ => {
                    let email = self.speaker_email();
                    self.out.push_str(&email);
                }
            }
        }
        self.words += 4 + lines * 2;
    }

    fn generate(&mut self, target: u64) {
        // Per-file Markdown features at the archive's rates (per million).
        let mut plan: [(u64, Option<Feature>); 8] = [(0, None); 8];
        let mut planned = 0;
        let wanted = [
            (Feature::Link, 220_000),
            (Feature::Bullets, 150_000),
            (Feature::Bold, 96_000),
            (Feature::Image, 10_300),
            (Feature::Heading, 7_000),
            (Feature::Ordered, 5_500),
            (Feature::BlockQuote, 800),
        ];
        for (f, ppm) in wanted {
            if self.rng.ppm(ppm) {
                plan[planned] = (self.rng.below(target.max(1)), Some(f));
                planned += 1;
                if matches!(f, Feature::Link) && self.rng.pct(30) {
                    plan[planned] = (self.rng.below(target.max(1)), Some(f));
                    planned += 1;
                }
            }
        }
        plan[..planned].sort_by_key(|p| p.0);
        let hard_breaks = self.rng.ppm(110_000);

        let mut next = 0;
        let mut para = 0;
        while self.words < target || next < planned {
            if para > 0 {
                self.out.push_str("\n\n");
            }
            if next < planned && (plan[next].0 <= self.words || self.words >= target) {
                let f = plan[next].1.expect("planned feature");
                next += 1;
                self.feature(f);
            } else {
                self.paragraph(para, target);
            }
            para += 1;
        }
        if hard_breaks {
            self.out.push_str("\n\n");
            self.contact_block();
        }
    }
}

/// Words in a vocabulary entry ("New Zealand" is two).
fn word_count(w: &str) -> u64 {
    1 + w.bytes().filter(|&b| b == b' ').count() as u64
}

/// Target body length in words, from the archive's quantiles.
fn body_words(rng: &mut Rng) -> u64 {
    let u = rng.below(1_000_000);
    let k = WORD_KNOTS
        .partition_point(|&(q, _)| q <= u)
        .clamp(1, WORD_KNOTS.len() - 1);
    let (q0, w0) = WORD_KNOTS[k - 1];
    let (q1, w1) = WORD_KNOTS[k];
    w0 + (u - q0) * (w1 - w0) / (q1 - q0)
}

// ---------------------------------------------------------------------------
// Whole files.
// ---------------------------------------------------------------------------

struct Plan {
    seed: u64,
    count: u64,
    world: World,
    /// Index -> Drupal-style suffix number for clashing slugs (1 => "-0").
    suffix: HashMap<u64, u32>,
    /// Index -> earlier index whose title and URL this file reuses.
    dup_of: HashMap<u64, u64>,
}

/// Buffers reused from file to file.
#[derive(Default)]
struct Scratch {
    title: String,
    slug: String,
    file: String,
    path: String,
}

impl Plan {
    /// The title and URL slug of file `i` (its own, not a repost's).
    fn own_title_slug(&self, i: u64, title: &mut String, slug: &mut String) {
        let date = date_of(i, self.count);
        let head = gen_head(self.seed, i, date, title);
        if head.numeric {
            slug.clear();
            let _ = write!(slug, "{}", 10_000 + i);
        } else {
            slugify(title, slug);
            if let Some(&k) = self.suffix.get(&i) {
                let _ = write!(slug, "-{}", k - 1);
            }
        }
    }

    fn render(&self, i: u64, s: &mut Scratch) {
        let date = date_of(i, self.count);
        let source = self.dup_of.get(&i).copied().unwrap_or(i);
        self.own_title_slug(source, &mut s.title, &mut s.slug);

        let w = &self.world;
        let mut rng = Rng::for_file(self.seed, i, STREAM_BODY);
        let out = &mut s.file;
        out.clear();
        out.push_str("---\ntitle: ");
        push_yaml_quoted(out, &s.title);
        let _ = write!(
            out,
            "\ndate: {:04}-{:02}-{:02}\nurl: https://www.beehive.govt.nz/release/{}\n",
            date.y, date.m, date.d, s.slug
        );

        // Ministers.
        let (ids, weights) = &w.active[usize::from(date.y - FIRST_YEAR)];
        let n_min = match rng.below(10_000) {
            0..=9_429 => 1,
            9_430..=9_959 => 2,
            _ => {
                let mut k = 3;
                while k < 8 && rng.pct(30) {
                    k += 1;
                }
                k
            }
        };
        let mut chosen = [usize::MAX; 8];
        let mut n_chosen = 0;
        for _ in 0..64 {
            if n_chosen == n_min.min(ids.len()) {
                break;
            }
            let p = ids[weights.sample(&mut rng)];
            if !chosen[..n_chosen].contains(&p) {
                chosen[n_chosen] = p;
                n_chosen += 1;
            }
        }
        let styled = date >= HON_FROM;
        if !rng.ppm(40) {
            out.push_str("ministers:\n");
            for &p in &chosen[..n_chosen] {
                out.push_str("  - ");
                let person = &w.people[p];
                out.push_str(if styled {
                    &person.styled
                } else {
                    &person.plain
                });
                out.push('\n');
            }
        }

        // Portfolios.
        let n_pf = match rng.below(10_000) {
            0..=9_139 => 1,
            9_140..=9_899 => 2,
            _ => {
                let mut k = 3;
                while k < 10 && rng.pct(35) {
                    k += 1;
                }
                k
            }
        };
        if !rng.ppm(510) {
            out.push_str("portfolios:\n");
            let mut picked = [usize::MAX; 10];
            let mut n_picked = 0;
            for _ in 0..64 {
                if n_picked == n_pf {
                    break;
                }
                let p = w.portfolio_w.sample(&mut rng);
                if !picked[..n_picked].contains(&p) {
                    picked[n_picked] = p;
                    n_picked += 1;
                    out.push_str("  - ");
                    out.push_str(&w.portfolios[p]);
                    out.push('\n');
                }
            }
        }

        // Attachments.
        if rng.ppm(45_700) {
            out.push_str("attachments:\n");
            let n = match rng.below(100) {
                0..=79 => 1,
                80..=93 => 2,
                _ => 3,
            };
            for _ in 0..n {
                out.push_str("  - https://www.beehive.govt.nz/sites/default/files/");
                if date.y >= 2017 {
                    let _ = write!(out, "{}-{:02}/", date.y, date.m);
                }
                let sep = rng.pick(&["%20", "_", "-"]);
                for k in 0..rng.range(1, 5) {
                    if k > 0 {
                        out.push_str(sep);
                    }
                    out.push_str(rng.pick(DOC_WORDS));
                }
                out.push_str(".pdf\n");
            }
        }
        out.push_str("---\n\n");

        // Body.
        let empty = rng.ppm(1_070);
        let target = body_words(&mut rng);
        let quotes = match rng.below(1000) {
            0..=734 => Quotes::Curly,
            735..=939 => Quotes::Straight,
            _ => Quotes::None,
        };
        let nbsp_left = if rng.pct(30) { 3 } else { 0 };
        let dash_left = if rng.pct(21) { 2 } else { 0 };
        let macron_ok = rng.pct(11);
        let speaker = w.people[chosen[0]].plain.as_str();
        let body_rng = Rng(rng.next());
        if !empty {
            let mut body = Body {
                rng: body_rng,
                out,
                words: 0,
                quotes,
                nbsp_left,
                dash_left,
                macron_ok,
                speaker,
                date,
            };
            body.generate(target);
        }

        // Path: releases/YYYY/MM/YYYY-MM-DD-slug.md
        let _ = write!(
            s.path,
            "{:04}/{:02}/{:04}-{:02}-{:02}-{}.md",
            date.y, date.m, date.y, date.m, date.d, s.slug
        );
    }
}

/// Decides reposts and slug suffixes for all files, before any is written.
fn plan(seed: u64, count: u64, threads: usize) -> Plan {
    let world = World::new(seed);
    let mut plan = Plan {
        seed,
        count,
        world,
        suffix: HashMap::new(),
        dup_of: HashMap::new(),
    };

    // Parallel: each file's own slug hash (0 for numeric slugs) and repost
    // candidacy.
    let chunk = count.div_ceil(threads as u64).max(1);
    let mut hashes: Vec<(u128, Option<u64>)> = Vec::with_capacity(count as usize);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                scope.spawn(move || {
                    let (lo, hi) = ((t * chunk).min(count), ((t + 1) * chunk).min(count));
                    let mut title = String::new();
                    let mut slug = String::new();
                    (lo..hi)
                        .map(|i| {
                            let head = gen_head(seed, i, date_of(i, count), &mut title);
                            let h = if head.numeric {
                                0
                            } else {
                                slugify(&title, &mut slug);
                                fnv1a(slug.as_bytes())
                            };
                            (h, head.dup_target)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            hashes.extend(h.join().expect("planner thread"));
        }
    });

    // Reposts: reuse the URL (and title) of an earlier original on a
    // different day; at most one repost of a given original per day.
    let mut repost_days = HashSet::new();
    for (i, &(_, target)) in hashes.iter().enumerate() {
        let i = i as u64;
        if let Some(mut j) = target {
            if let Some(&k) = plan.dup_of.get(&j) {
                j = k;
            }
            if date_of(j, count) != date_of(i, count) && repost_days.insert((j, date_of(i, count)))
            {
                plan.dup_of.insert(i, j);
            }
        }
    }

    // Unique slugs among originals, in index order: a clash gets "-0", "-1"...
    let mut taken: HashSet<u128> = HashSet::with_capacity(hashes.len());
    let mut title = String::new();
    let mut slug = String::new();
    for (i, &(h, _)) in hashes.iter().enumerate() {
        let i = i as u64;
        if h == 0 || plan.dup_of.contains_key(&i) || taken.insert(h) {
            continue;
        }
        gen_head(seed, i, date_of(i, count), &mut title);
        slugify(&title, &mut slug);
        let base = slug.len();
        for k in 1u32.. {
            slug.truncate(base);
            let _ = write!(slug, "-{}", k - 1);
            if taken.insert(fnv1a(slug.as_bytes())) {
                plan.suffix.insert(i, k);
                break;
            }
        }
    }
    plan
}

struct Args {
    count: u64,
    out: PathBuf,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut count = None;
    let mut out = None;
    let mut seed = 42;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            process::exit(0);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| -> Result<u64, String> {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag}: {v:?}: {e}"))
        };
        match flag.as_str() {
            "--count" => count = Some(number(value()?)?),
            "--seed" => seed = number(value()?)?,
            "--out" => out = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    let count = count.ok_or("--count is required")?;
    if count == 0 || count > MAX_COUNT {
        return Err(format!("--count must be 1..={MAX_COUNT}"));
    }
    let out = out.ok_or("--out is required")?;
    Ok(Args { count, out, seed })
}

fn run(args: &Args) -> Result<(u64, u64), String> {
    let started = Instant::now();
    let releases = args.out.join("releases");
    if fs::read_dir(&releases).is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!(
            "{} already holds files; remove it first",
            releases.display()
        ));
    }
    let marker = args.out.join(".synth-done");
    let _ = fs::remove_file(&marker);

    let threads = thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(2, 16);
    let plan = plan(args.seed, args.count, threads);

    // Month folders first, so workers only create files.
    let mut months = HashSet::new();
    for i in 0..args.count {
        let d = date_of(i, args.count);
        if months.insert((d.y, d.m)) {
            let dir = releases.join(format!("{:04}/{:02}", d.y, d.m));
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }

    // Each worker writes its own contiguous range of indices, so workers
    // mostly create files in different folders (creating files in one folder
    // serialises on its lock). Every file depends only on its index and the
    // plan, so the split does not affect the output.
    let bytes = AtomicU64::new(0);
    let files = AtomicU64::new(0);
    let root = releases.to_string_lossy().into_owned() + "/";
    let failure = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                let (plan, root, bytes, files) = (&plan, &root, &bytes, &files);
                let n = args.count;
                scope.spawn(move || -> Result<(), String> {
                    let mut s = Scratch::default();
                    let (mut my_bytes, mut my_files) = (0, 0);
                    let (lo, hi) = (n * t / threads as u64, n * (t + 1) / threads as u64);
                    for i in lo..hi {
                        s.path.clear();
                        s.path.push_str(root);
                        plan.render(i, &mut s);
                        fs::write(Path::new(&s.path), s.file.as_bytes())
                            .map_err(|e| format!("{}: {e}", s.path))?;
                        my_bytes += s.file.len() as u64;
                        my_files += 1;
                    }
                    bytes.fetch_add(my_bytes, Ordering::Relaxed);
                    files.fetch_add(my_files, Ordering::Relaxed);
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .find_map(Result::err)
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let (files, bytes) = (files.into_inner(), bytes.into_inner());
    fs::write(
        &marker,
        format!(
            "synth count={} seed={} files={files} bytes={bytes}\n",
            args.count, args.seed
        ),
    )
    .map_err(|e| format!("{}: {e}", marker.display()))?;
    eprintln!(
        "synth: wrote {files} files, {bytes} bytes to {} in {:.1}s",
        releases.display(),
        started.elapsed().as_secs_f64()
    );
    Ok((files, bytes))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("synth: {e}\n\n{USAGE}");
            process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("synth: {e}");
        process::exit(1);
    }
}
