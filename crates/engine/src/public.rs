//! Public ratings of livelihood projects (民生项目绩效众评), aggregated so
//! that small samples do not mislead.
//!
//! A resident rates a project on the five levels of the 好差评 scale: 5
//! 非常满意 (very satisfied), 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
//! (very dissatisfied). A project's ratings are kept as counts per level
//! ([`LevelCounts`]); [`score`] turns them into the public score:
//!
//! - the **raw mean** of the levels, and `n`;
//! - the **shrunk score**, the Bayesian average `(C·m + Σ levels) / (C + n)`
//!   pulled toward `m`, the mean of every rating in the project's category,
//!   with the weight `C` of `C` imagined ratings at that mean: a project with
//!   few ratings sits near its category, one with many near its own mean;
//! - the **satisfied share**, levels 4 and 5, with its Wilson score
//!   interval at 95% (which, unlike the normal approximation, stays inside
//!   0..1 and is honest at 0 and n).
//!
//! Below `k` ratings nothing is answered at all ([`Disclosure`]): a league
//! table of projects rated once or twice is what misleads. The functions do
//! no IO and read no clock.

use deltabench_model::documents::{CategoryRating, PublicRatingSummary};
use deltabench_model::local::{RatedProject, RatingProvenance};
use deltabench_model::public::Project;
use deltabench_model::{CategoryId, InvalidField, Period, ProjectId, UnitId, Value};
use std::collections::BTreeMap;

/// The levels of the scale, from 1 (very dissatisfied) to 5 (very satisfied).
pub const LEVELS: std::ops::RangeInclusive<u8> = 1..=5;

/// The lowest level that counts as satisfied (满意).
pub const SATISFIED_FROM: u8 = 4;

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// How many ratings a project has at each level: `counts()[0]` is level 1,
/// `counts()[4]` level 5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelCounts([u64; 5]);

impl LevelCounts {
    /// Counts given level by level, 1 to 5.
    pub fn new(counts: [u64; 5]) -> Self {
        Self(counts)
    }

    /// The counts, level 1 first.
    pub fn counts(&self) -> [u64; 5] {
        self.0
    }

    /// Adds one rating; a level outside 1..=5 is refused, naming `level`.
    pub fn add(&mut self, level: u8) -> Result<(), InvalidField> {
        if !LEVELS.contains(&level) {
            return Err(InvalidField::new(
                "level",
                format!("{level} is not a level of the scale (1 to 5)"),
            ));
        }
        self.0[usize::from(level - 1)] += 1;
        Ok(())
    }

    /// Adds another project's counts (for a category's pooled mean).
    pub fn merge(&mut self, other: &LevelCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// The number of ratings.
    pub fn n(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The sum of the levels rated.
    pub fn level_sum(&self) -> u64 {
        self.0
            .iter()
            .zip(1u64..)
            .map(|(count, level)| count * level)
            .sum()
    }

    /// The ratings at levels 4 and 5.
    pub fn satisfied(&self) -> u64 {
        self.0[usize::from(SATISFIED_FROM - 1)..].iter().sum()
    }

    /// The mean level, or `None` without ratings.
    pub fn mean(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| self.level_sum() as f64 / n as f64)
    }
}

/// The settings of public aggregation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disclosure {
    /// Fewer ratings than this and no score is shown or published.
    pub k: u64,
    /// The weight of the category mean, in ratings (`C`).
    pub prior_weight: f64,
}

impl Default for Disclosure {
    /// k = 10 and C = 10.
    fn default() -> Self {
        Self {
            k: 10,
            prior_weight: 10.0,
        }
    }
}

/// A project's public score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicScore {
    /// The number of ratings.
    pub n: u64,
    /// The counts per level.
    pub distribution: LevelCounts,
    /// The mean level rated.
    pub raw_mean: f64,
    /// The Bayesian average toward the category mean.
    pub shrunk: f64,
    /// The category mean it is pulled toward.
    pub prior_mean: f64,
    /// The share rated 4 or 5.
    pub satisfied_share: f64,
    /// The Wilson 95% interval of that share.
    pub satisfied_interval: (f64, f64),
}

/// The public score of a project with `counts`, in a category whose
/// ratings average `prior_mean`; `None` below `k` ratings.
pub fn score(counts: &LevelCounts, prior_mean: f64, d: &Disclosure) -> Option<PublicScore> {
    let n = counts.n();
    if n == 0 || n < d.k {
        return None;
    }
    let raw_mean = counts.level_sum() as f64 / n as f64;
    let shrunk =
        (d.prior_weight * prior_mean + counts.level_sum() as f64) / (d.prior_weight + n as f64);
    Some(PublicScore {
        n,
        distribution: *counts,
        raw_mean,
        shrunk,
        prior_mean,
        satisfied_share: counts.satisfied() as f64 / n as f64,
        satisfied_interval: wilson(counts.satisfied(), n, Z95),
    })
}

/// The mean of every rating of a category's projects (each rating weighs
/// the same, so a much-rated project weighs more), or `None` without any.
pub fn category_mean<'a>(projects: impl IntoIterator<Item = &'a LevelCounts>) -> Option<f64> {
    let mut all = LevelCounts::default();
    for p in projects {
        all.merge(p);
    }
    all.mean()
}

/// The Wilson score interval of `successes` in `n` trials at the normal
/// quantile `z`; `(0, 1)` when `n` is 0. Clamped to 0..=1 against rounding.
pub fn wilson(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The prior mean when a category has no rating at all: the middle of the
/// scale.
pub const NEUTRAL_MEAN: f64 = 3.0;

/// A project's score in its period: pulled toward the mean of every rating
/// of the period's projects of its category; `None` below k ratings.
pub fn project_scores<'a>(
    projects: &'a [Project],
    counts: &BTreeMap<ProjectId, LevelCounts>,
    d: &Disclosure,
) -> Vec<(&'a Project, LevelCounts, Option<PublicScore>)> {
    let mut by_category: BTreeMap<&CategoryId, LevelCounts> = BTreeMap::new();
    for p in projects {
        if let Some(c) = counts.get(&p.id) {
            by_category.entry(&p.category).or_default().merge(c);
        }
    }
    projects
        .iter()
        .map(|p| {
            let mine = counts.get(&p.id).copied().unwrap_or_default();
            let prior = by_category
                .get(&p.category)
                .and_then(LevelCounts::mean)
                .unwrap_or(NEUTRAL_MEAN);
            (p, mine, score(&mine, prior, d))
        })
        .collect()
}

/// One unit's value of a `public_rating` indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRating {
    /// The mean of the shrunk scores of the unit's projects with at least k
    /// ratings (each project weighs the same).
    pub value: f64,
    /// Those projects, and how many fell below k.
    pub provenance: RatingProvenance,
}

/// Each unit's value from public ratings, for one period's `projects` and
/// their counted ratings: the mean shrunk score of its projects with at
/// least k ratings. A unit none of whose projects reaches k has no value.
pub fn unit_values(
    projects: &[Project],
    counts: &BTreeMap<ProjectId, LevelCounts>,
    d: &Disclosure,
) -> BTreeMap<UnitId, UnitRating> {
    let mut by_unit: BTreeMap<&UnitId, (Vec<RatedProject>, u32)> = BTreeMap::new();
    for (p, _, s) in project_scores(projects, counts, d) {
        let entry = by_unit.entry(&p.unit).or_default();
        match s {
            Some(s) => entry.0.push(RatedProject {
                project: p.id.clone(),
                n: s.n,
                raw_mean: s.raw_mean,
                shrunk: s.shrunk,
            }),
            None => entry.1 += 1,
        }
    }
    by_unit
        .into_iter()
        .filter(|(_, (rated, _))| !rated.is_empty())
        .map(|(unit, (rated, below_k))| {
            let value = rated.iter().map(|r| r.shrunk).sum::<f64>() / rated.len() as f64;
            (
                unit.clone(),
                UnitRating {
                    value,
                    provenance: RatingProvenance {
                        k: d.k,
                        prior_weight: d.prior_weight,
                        projects: rated,
                        below_k,
                    },
                },
            )
        })
        .collect()
}

fn val(x: f64) -> Value {
    Value::new(if x.is_finite() { x } else { 0.0 }).expect("finite")
}

/// The publishable ratings of one period (kind `public_rating`): per
/// category of `projects`, the counts per level, the raw mean, the
/// Bayesian average toward the mean of every counted rating of the period
/// and the Wilson 95% interval of the satisfied share. Categories below k
/// ratings are left out; `None` when none reaches k.
pub fn rating_summary(
    period: Period,
    projects: &[Project],
    counts: &BTreeMap<ProjectId, LevelCounts>,
    d: &Disclosure,
) -> Option<PublicRatingSummary> {
    let mut by_category: BTreeMap<&CategoryId, LevelCounts> = BTreeMap::new();
    let mut all = LevelCounts::default();
    for p in projects {
        if let Some(c) = counts.get(&p.id) {
            by_category.entry(&p.category).or_default().merge(c);
            all.merge(c);
        }
    }
    let prior = all.mean()?;
    let categories: Vec<CategoryRating> = by_category
        .into_iter()
        .filter_map(|(category, c)| {
            let s = score(&c, prior, d)?;
            let counts = c.counts().map(|x| u32::try_from(x).unwrap_or(u32::MAX));
            Some(CategoryRating {
                category: category.clone(),
                counts,
                n: u32::try_from(s.n).unwrap_or(u32::MAX),
                raw_mean: val(s.raw_mean),
                prior_mean: val(prior),
                shrunk: val(s.shrunk),
                satisfied_share: val(s.satisfied_share),
                satisfied_interval: [val(s.satisfied_interval.0), val(s.satisfied_interval.1)],
            })
        })
        .collect();
    (!categories.is_empty()).then(|| PublicRatingSummary {
        period,
        k: u32::try_from(d.k).unwrap_or(u32::MAX),
        prior_weight: val(d.prior_weight),
        categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_scores_of_ten_ratings_are_the_hand_computed_ones() {
        // Levels 1, 3, 4, 4, 4, 5, 5, 5, 5, 5: sum 41, mean 4.1; 8 of 10
        // satisfied. Category mean 3.5 with C = 5:
        // (5 × 3.5 + 41) / (5 + 10) = 58.5 / 15 = 3.9.
        let counts = LevelCounts::new([1, 0, 1, 3, 5]);
        let d = Disclosure {
            k: 10,
            prior_weight: 5.0,
        };
        let s = score(&counts, 3.5, &d).expect("10 ratings reach k = 10");
        assert_eq!(s.n, 10);
        assert!(close(s.raw_mean, 4.1), "{}", s.raw_mean);
        assert!(close(s.shrunk, 3.9), "{}", s.shrunk);
        assert!(close(s.satisfied_share, 0.8));
        // Wilson at 95% for 8 of 10, as tabulated: 0.4902 to 0.9433.
        let (lo, hi) = s.satisfied_interval;
        assert!((lo - 0.490_162_471_5).abs() < 1e-9, "{lo}");
        assert!((hi - 0.943_317_848_5).abs() < 1e-9, "{hi}");
    }

    #[test]
    fn nothing_is_answered_below_k() {
        let d = Disclosure::default();
        let nine = LevelCounts::new([0, 0, 0, 0, 9]);
        assert_eq!(score(&nine, 3.0, &d), None);
        let ten = LevelCounts::new([0, 0, 0, 0, 10]);
        assert!(score(&ten, 3.0, &d).is_some());
        assert_eq!(
            score(&LevelCounts::default(), 3.0, &Disclosure { k: 0, ..d }),
            None
        );
    }

    #[test]
    fn few_ratings_stay_near_the_category_and_many_near_their_own_mean() {
        let d = Disclosure {
            k: 1,
            prior_weight: 10.0,
        };
        // One 5 against a category at 3: (10 × 3 + 5) / 11 = 35 / 11.
        let one = score(&LevelCounts::new([0, 0, 0, 0, 1]), 3.0, &d).unwrap();
        assert!(close(one.shrunk, 35.0 / 11.0), "{}", one.shrunk);
        // A thousand 5s: (30 + 5000) / 1010.
        let many = score(&LevelCounts::new([0, 0, 0, 0, 1000]), 3.0, &d).unwrap();
        assert!(close(many.shrunk, 5030.0 / 1010.0), "{}", many.shrunk);
        assert!(one.shrunk < many.shrunk);
    }

    #[test]
    fn the_wilson_interval_is_honest_at_the_ends() {
        // 0 of 10: the upper bound is z²/(n + z²) = 3.8415 / 13.8415.
        let (lo, hi) = wilson(0, 10, Z95);
        assert_eq!(lo, 0.0);
        assert!(close(hi, Z95 * Z95 / (10.0 + Z95 * Z95)), "{hi}");
        // 10 of 10 mirrors it.
        let (lo, hi) = wilson(10, 10, Z95);
        assert!(close(lo, 10.0 / (10.0 + Z95 * Z95)), "{lo}");
        assert!(hi <= 1.0);
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
    }

    #[test]
    fn the_category_mean_weighs_every_rating_alike() {
        // 2 ratings of 5 and 8 ratings of 1: (10 + 8) / 10.
        let a = LevelCounts::new([0, 0, 0, 0, 2]);
        let b = LevelCounts::new([8, 0, 0, 0, 0]);
        assert!(close(category_mean([&a, &b]).unwrap(), 1.8));
        assert_eq!(category_mean([]), None);
    }

    proptest::proptest! {
        /// The shrunk score lies between the category mean and the raw
        /// mean, and the interval holds the share, inside 0..=1.
        #[test]
        fn the_shrunk_score_lies_between_the_prior_and_the_mean(
            counts in proptest::array::uniform5(0u64..200),
            prior in 1.0f64..=5.0,
            weight in 0.0f64..100.0,
        ) {
            let counts = LevelCounts::new(counts);
            let d = Disclosure { k: 1, prior_weight: weight };
            if let Some(s) = score(&counts, prior, &d) {
                let (lo, hi) = (prior.min(s.raw_mean), prior.max(s.raw_mean));
                proptest::prop_assert!(s.shrunk >= lo - 1e-9 && s.shrunk <= hi + 1e-9);
                let (a, b) = s.satisfied_interval;
                proptest::prop_assert!(0.0 <= a && a <= s.satisfied_share + 1e-12);
                proptest::prop_assert!(s.satisfied_share <= b + 1e-12 && b <= 1.0);
            } else {
                proptest::prop_assert_eq!(counts.n(), 0);
            }
        }
    }

    fn project(id: &str, unit: &str, category: &str) -> Project {
        serde_json::from_value(serde_json::json!({
            "id": id, "name_zh": "项目", "name_en": "Project", "unit": unit,
            "place": "城厢镇", "budget": 1000, "period": "2025", "category": category,
        }))
        .unwrap()
    }

    #[test]
    fn a_unit_value_is_the_mean_shrunk_score_of_its_projects_from_k() {
        // Two education projects of one unit: 10 ratings of 5 and 10 of 3;
        // the category mean is 4, C = 10: (40 + 50) / 20 = 4.5 and
        // (40 + 30) / 20 = 3.5, mean 4. A third with 9 ratings is below k.
        let projects = [
            project("a", "edu", "education"),
            project("b", "edu", "education"),
            project("c", "edu", "roads"),
            project("d", "transport", "roads"),
        ];
        let counts: BTreeMap<ProjectId, LevelCounts> = [
            ("a", LevelCounts::new([0, 0, 0, 0, 10])),
            ("b", LevelCounts::new([0, 0, 10, 0, 0])),
            ("c", LevelCounts::new([0, 0, 0, 9, 0])),
        ]
        .into_iter()
        .map(|(id, c)| (ProjectId::new(id).unwrap(), c))
        .collect();
        let d = Disclosure::default();
        let values = unit_values(&projects, &counts, &d);
        let edu = &values[&UnitId::new("edu").unwrap()];
        assert!(close(edu.value, 4.0), "{}", edu.value);
        assert_eq!(edu.provenance.projects.len(), 2);
        assert!(close(edu.provenance.projects[0].shrunk, 4.5));
        assert_eq!(edu.provenance.below_k, 1);
        assert!(!values.contains_key(&UnitId::new("transport").unwrap()));

        // The document: education reaches k, roads (9 ratings) does not;
        // the prior is the mean of all 29 ratings: (50 + 30 + 36) / 29.
        let period = Period::parse("2025").unwrap();
        let doc = rating_summary(period, &projects, &counts, &d).unwrap();
        assert_eq!(doc.categories.len(), 1);
        let edu = &doc.categories[0];
        assert_eq!(edu.counts, [0, 0, 10, 0, 10]);
        assert!(close(edu.prior_mean.get(), 116.0 / 29.0));
        assert!(close(edu.shrunk.get(), (10.0 * 116.0 / 29.0 + 80.0) / 30.0));
        use deltabench_model::documents::Payload;
        assert_eq!(doc.validate(), Ok(()));
        let few = Disclosure { k: 30, ..d };
        assert_eq!(rating_summary(period, &projects, &counts, &few), None);
    }

    #[test]
    fn a_level_off_the_scale_is_refused_by_name() {
        let mut c = LevelCounts::default();
        for level in LEVELS {
            c.add(level).unwrap();
        }
        assert_eq!(c.counts(), [1; 5]);
        assert_eq!(c.level_sum(), 15);
        for bad in [0, 6, 255] {
            let e = c.add(bad).unwrap_err();
            assert_eq!(e.field, "level");
        }
        assert_eq!(c.n(), 5, "a refused level is not counted");
    }
}
