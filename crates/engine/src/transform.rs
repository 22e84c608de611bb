//! Value transforms of crosswalks: how a source indicator's value becomes a
//! value of the target indicator, and back.
//!
//! A crosswalk carries a list of [`TransformStep`]s that apply in order; an
//! empty list is the identity. The steps are:
//!
//! | op          | forward                                   | undone by                                   |
//! |-------------|-------------------------------------------|---------------------------------------------|
//! | `linear`    | `y = scale·x + offset`                    | `x = (y − offset) / scale`; not if scale is 0 |
//! | `unit`      | `y = x · factor(from) / factor(to)`       | the reciprocal conversion                   |
//! | `rescale`   | `[a, b]` mapped linearly onto `[c, d]`    | `[c, d]` onto `[a, b]`; not if `c = d`      |
//! | `invert`    | `y = lo + hi − x`                         | itself                                      |
//! | `piecewise` | linear between the `[x, y]` points        | inverse interpolation if y is strictly monotone |
//!
//! A rescale is a linear map, so values outside `[a, b]` extend linearly
//! (`6` on `[1, 5] → [0, 100]` gives `125`). A piecewise step is defined only
//! between its first and last x: a value outside is an
//! [`TransformError::OutsideDomain`] error, neither extrapolated nor clamped.
//! Its inverse needs the y values to increase strictly or decrease strictly;
//! the inverse's domain is then `[min y, max y]`.
//!
//! [`apply`] runs the steps in order, [`inverse`] undoes them in reverse
//! order. Either refuses a non-finite input and any step whose result is not
//! finite ([`TransformError::NotFinite`]). Errors name the step by its
//! 0-based position in the list, the same index as in the field path
//! `transform[i]` that [`check`] reports.
//!
//! [`check`] is the static test of a crosswalk's transform: every unit known
//! and of the same dimension as its partner, and every step invertible in
//! principle. [`monotonicity`] tells whether the composed transform keeps
//! the order of values (so "higher is better" stays so), reverses it, maps
//! everything to one value, or neither.
//!
//! # Units of measure
//!
//! A `unit` step converts between two units of one dimension. Each unit has
//! a factor that multiplies a value into the dimension's base unit; a
//! conversion from `u` to `v` multiplies by `factor(u) / factor(v)`. Names
//! are matched after trimming surrounding whitespace, ignoring ASCII case,
//! and may be any alias below.
//!
//! | dimension | unit            | factor   | aliases                                 |
//! |-----------|-----------------|----------|-----------------------------------------|
//! | share     | `ratio` (base)  | 1        | `fraction`                              |
//! | share     | `%`             | 0.01     | `percent`, `pct`, `百分比`              |
//! | share     | `permille`      | 0.001    | `‰`                                     |
//! | share     | `basis_points`  | 0.0001   | `bp`                                    |
//! | time      | `minutes`       | 1/60     | `minute`, `min`, `分钟`                 |
//! | time      | `hours` (base)  | 1        | `hour`, `h`, `小时`                     |
//! | time      | `days`          | 24       | `day`, `d`, `天`, `日`                  |
//! | time      | `weeks`         | 168      | `week`, `周`                            |
//! | money     | `yuan` (base)   | 1        | `元`, `cny`                             |
//! | money     | `thousand_yuan` | 10³      | `千元`                                  |
//! | money     | `10k_yuan`      | 10⁴      | `万元`, `ten_thousand_yuan`             |
//! | money     | `million_yuan`  | 10⁶      | `百万元`                                |
//! | money     | `100m_yuan`     | 10⁸      | `亿元`, `hundred_million_yuan`          |
//! | count     | `count` (base)  | 1        | `items`, `个`, `件`, `人`               |
//! | count     | `10k_count`     | 10⁴      | `万人`, `万件`                          |
//!
//! Scales such as `score_0_100` or `points_1_5` are not units of measure and
//! are not in the table: a `unit` step naming one is an
//! [`TransformError::UnknownUnit`] error. Bridging two scales is what
//! `rescale` is for.

use deltabench_model::InvalidField;
use deltabench_model::documents::TransformStep;

/// Why a transform could not be applied or inverted.
///
/// `step` is the 0-based position of the failing step in the list.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// A unit step names a unit that is not in the table.
    #[error(
        "transform step {step}: {unit:?} is not a known unit of measure \
         (scales such as 1-5 or 0-100 are bridged with a rescale step)"
    )]
    UnknownUnit {
        /// The step's position.
        step: usize,
        /// The name as given.
        unit: String,
    },
    /// A unit step converts between units of different dimensions.
    #[error(
        "transform step {step}: {from:?} and {to:?} measure different things \
         and cannot be converted into each other"
    )]
    IncompatibleUnits {
        /// The step's position.
        step: usize,
        /// The source unit as given.
        from: String,
        /// The target unit as given.
        to: String,
    },
    /// A piecewise step (or its inverse) received a value outside the range
    /// its points cover.
    #[error(
        "transform step {step}: {value} is outside [{lo}, {hi}], the range the \
         piecewise points cover; values are not extrapolated"
    )]
    OutsideDomain {
        /// The step's position.
        step: usize,
        /// The value received.
        value: f64,
        /// The lower end of the covered range.
        lo: f64,
        /// The upper end of the covered range.
        hi: f64,
    },
    /// A step maps different values to the same result, so it cannot be
    /// undone.
    #[error("transform step {step}: cannot be undone because {why}")]
    NotInvertible {
        /// The step's position.
        step: usize,
        /// What makes it so, e.g. "the scale is 0".
        why: String,
    },
    /// A step is malformed and defines no function at all (a rescale from
    /// equal ends, a piecewise step with fewer than two points or with x not
    /// increasing). Validated documents never carry such steps.
    #[error("transform step {step}: is undefined because {why}")]
    Undefined {
        /// The step's position.
        step: usize,
        /// What is wrong with it.
        why: String,
    },
    /// A step received or produced a value that is not a finite number.
    #[error("transform step {step}: the value is not a finite number")]
    NotFinite {
        /// The step's position.
        step: usize,
    },
}

/// One unit of measure of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitInfo {
    /// The canonical name, e.g. `%` or `10k_yuan`.
    pub name: &'static str,
    /// What the unit measures: `share`, `time`, `money` or `count`.
    pub dimension: &'static str,
    /// What a value in this unit is multiplied by to get the dimension's
    /// base unit (`ratio`, `hours`, `yuan`, `count`).
    pub factor: f64,
}

const fn u(name: &'static str, dimension: &'static str, factor: f64) -> UnitInfo {
    UnitInfo {
        name,
        dimension,
        factor,
    }
}

/// The units of measure, grouped by dimension.
static UNITS: [UnitInfo; 15] = [
    u("ratio", "share", 1.0),
    u("%", "share", 0.01),
    u("permille", "share", 0.001),
    u("basis_points", "share", 0.0001),
    u("minutes", "time", 1.0 / 60.0),
    u("hours", "time", 1.0),
    u("days", "time", 24.0),
    u("weeks", "time", 168.0),
    u("yuan", "money", 1.0),
    u("thousand_yuan", "money", 1e3),
    u("10k_yuan", "money", 1e4),
    u("million_yuan", "money", 1e6),
    u("100m_yuan", "money", 1e8),
    u("count", "count", 1.0),
    u("10k_count", "count", 1e4),
];

/// Other names of the units: `(alias, canonical name)`.
static ALIASES: [(&str, &str); 32] = [
    ("fraction", "ratio"),
    ("percent", "%"),
    ("pct", "%"),
    ("百分比", "%"),
    ("‰", "permille"),
    ("bp", "basis_points"),
    ("minute", "minutes"),
    ("min", "minutes"),
    ("分钟", "minutes"),
    ("hour", "hours"),
    ("h", "hours"),
    ("小时", "hours"),
    ("day", "days"),
    ("d", "days"),
    ("天", "days"),
    ("日", "days"),
    ("week", "weeks"),
    ("周", "weeks"),
    ("元", "yuan"),
    ("cny", "yuan"),
    ("千元", "thousand_yuan"),
    ("万元", "10k_yuan"),
    ("ten_thousand_yuan", "10k_yuan"),
    ("百万元", "million_yuan"),
    ("亿元", "100m_yuan"),
    ("hundred_million_yuan", "100m_yuan"),
    ("items", "count"),
    ("个", "count"),
    ("件", "count"),
    ("人", "count"),
    ("万人", "10k_count"),
    ("万件", "10k_count"),
];

/// The unit of measure called `name`: a canonical name or an alias, with
/// surrounding whitespace ignored and ASCII letters matched in any case.
pub fn unit(name: &str) -> Option<UnitInfo> {
    // Names written exactly as listed (the usual case) are found in a table
    // that the search below filled, so both ways give the same unit.
    static EXACT: std::sync::OnceLock<std::collections::HashMap<&'static str, UnitInfo>> =
        std::sync::OnceLock::new();
    let exact = EXACT.get_or_init(|| {
        let names = ALIASES
            .iter()
            .map(|(a, _)| *a)
            .chain(UNITS.iter().map(|u| u.name));
        names
            .filter_map(|n| search_unit(n).map(|u| (n, u)))
            .collect()
    });
    exact.get(name).copied().or_else(|| search_unit(name))
}

fn search_unit(name: &str) -> Option<UnitInfo> {
    let name = name.trim();
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |&(_, canonical)| canonical);
    UNITS
        .iter()
        .find(|u| u.name.eq_ignore_ascii_case(canonical))
        .copied()
}

/// The table of units of measure, grouped by dimension in the order of the
/// module documentation's table (aliases are not listed).
pub fn units() -> &'static [UnitInfo] {
    &UNITS
}

/// The factor that converts a value in unit `from` into unit `to`:
/// `x_from * factor = x_to`. Errors name step 0.
pub fn unit_factor(from: &str, to: &str) -> Result<f64, TransformError> {
    let (f, t) = unit_pair(0, from, to)?;
    Ok(f.factor / t.factor)
}

/// Both units of a unit step, known and of one dimension.
fn unit_pair(step: usize, from: &str, to: &str) -> Result<(UnitInfo, UnitInfo), TransformError> {
    let known = |name: &str| {
        unit(name).ok_or_else(|| TransformError::UnknownUnit {
            step,
            unit: name.to_string(),
        })
    };
    let (f, t) = (known(from)?, known(to)?);
    if f.dimension != t.dimension {
        return Err(TransformError::IncompatibleUnits {
            step,
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    Ok((f, t))
}

/// Checks that a crosswalk's transform can be applied and undone: every unit
/// step names known units of one dimension, a linear step's scale is not 0,
/// a rescale's ends differ on both sides, and a piecewise step has at least
/// two points, x increasing strictly and y increasing strictly or
/// decreasing strictly. The error's field is a path such as
/// `transform[1].to`.
pub fn check(steps: &[TransformStep]) -> Result<(), InvalidField> {
    for (i, step) in steps.iter().enumerate() {
        check_step(step).map_err(|e| e.within(format!("[{i}]")).within("transform"))?;
    }
    Ok(())
}

fn check_step(step: &TransformStep) -> Result<(), InvalidField> {
    match step {
        TransformStep::Linear { scale, .. } => {
            if scale.get() == 0.0 {
                return Err(InvalidField::new(
                    "scale",
                    "is 0: every value would become the offset and the step could not be undone",
                ));
            }
        }
        TransformStep::Unit { from, to } => {
            let f = unit(from).ok_or_else(|| InvalidField::new("from", unknown_unit(from)))?;
            let t = unit(to).ok_or_else(|| InvalidField::new("to", unknown_unit(to)))?;
            if f.dimension != t.dimension {
                return Err(InvalidField::new(
                    "to",
                    format!(
                        "{to:?} is a unit of {} but {from:?} is a unit of {}; \
                         they cannot be converted into each other",
                        t.dimension, f.dimension
                    ),
                ));
            }
        }
        TransformStep::Rescale { from, to } => {
            if from[0] == from[1] {
                return Err(InvalidField::new("from", "has equal ends"));
            }
            if to[0] == to[1] {
                return Err(InvalidField::new(
                    "to",
                    "has equal ends: every value would map to the same number \
                     and the step could not be undone",
                ));
            }
        }
        TransformStep::Invert { lo, hi } => {
            if !(lo.get() + hi.get()).is_finite() {
                return Err(InvalidField::new("hi", "lo + hi is too large to compute"));
            }
        }
        TransformStep::Piecewise { points } => {
            if points.len() < 2 {
                return Err(InvalidField::new("points", "needs at least two points"));
            }
            for (j, w) in points.windows(2).enumerate() {
                if w[0][0].get() >= w[1][0].get() {
                    return Err(InvalidField::new(
                        format!("points[{}]", j + 1),
                        format!(
                            "x must increase strictly, but {} follows {}",
                            w[1][0], w[0][0]
                        ),
                    ));
                }
            }
            let rising = points[1][1].get() > points[0][1].get();
            for (j, w) in points.windows(2).enumerate() {
                let (a, b) = (w[0][1].get(), w[1][1].get());
                let ok = if rising { b > a } else { b < a };
                if !ok {
                    return Err(InvalidField::new(
                        format!("points[{}]", j + 1),
                        format!(
                            "y must increase strictly or decrease strictly for the step \
                             to be undone, but {b} follows {a}"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn unknown_unit(name: &str) -> String {
    let known: Vec<&str> = UNITS.iter().map(|u| u.name).collect();
    format!(
        "{name:?} is not a known unit of measure (known: {}); scales such as \
         1-5 or 0-100 are bridged with a rescale step",
        known.join(", ")
    )
}

/// The value `x` transformed by the steps in order.
pub fn apply(steps: &[TransformStep], x: f64) -> Result<f64, TransformError> {
    if !x.is_finite() {
        return Err(TransformError::NotFinite { step: 0 });
    }
    steps.iter().enumerate().try_fold(x, |x, (i, step)| {
        let y = apply_step(i, step, x)?;
        finite(i, y)
    })
}

/// A transform with its unit names looked up once, for applying it to many
/// values: [`Prepared::apply`] computes exactly what [`apply`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared(Result<Vec<PreparedStep>, Vec<TransformStep>>);

/// One step of a [`Prepared`] transform.
#[derive(Debug, Clone, PartialEq)]
enum PreparedStep {
    /// A unit step: multiply by the first factor, divide by the second.
    Unit(f64, f64),
    /// Any other step, applied as written.
    Other(TransformStep),
}

impl Prepared {
    /// Looks up the unit names of `steps`. A transform naming an unknown or
    /// incompatible unit is kept as written, so applying it gives the same
    /// error [`apply`] gives.
    pub fn new(steps: &[TransformStep]) -> Self {
        let prepared: Result<Vec<PreparedStep>, TransformError> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| match step {
                TransformStep::Unit { from, to } => {
                    unit_pair(i, from, to).map(|(f, t)| PreparedStep::Unit(f.factor, t.factor))
                }
                other => Ok(PreparedStep::Other(other.clone())),
            })
            .collect();
        Prepared(prepared.map_err(|_| steps.to_vec()))
    }

    /// The value `x` transformed by the steps in order, as [`apply`].
    pub fn apply(&self, x: f64) -> Result<f64, TransformError> {
        let steps = match &self.0 {
            Ok(steps) => steps,
            Err(written) => return apply(written, x),
        };
        if !x.is_finite() {
            return Err(TransformError::NotFinite { step: 0 });
        }
        steps.iter().enumerate().try_fold(x, |x, (i, step)| {
            let y = match step {
                PreparedStep::Unit(f, t) => x * f / t,
                PreparedStep::Other(step) => apply_step(i, step, x)?,
            };
            finite(i, y)
        })
    }
}

/// The value that [`apply`] turns into `y`: the steps undone in reverse
/// order. A non-finite `y` is refused naming the last step.
pub fn inverse(steps: &[TransformStep], y: f64) -> Result<f64, TransformError> {
    if !y.is_finite() {
        return Err(TransformError::NotFinite {
            step: steps.len().saturating_sub(1),
        });
    }
    steps.iter().enumerate().rev().try_fold(y, |y, (i, step)| {
        let x = inverse_step(i, step, y)?;
        finite(i, x)
    })
}

fn finite(step: usize, v: f64) -> Result<f64, TransformError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(TransformError::NotFinite { step })
    }
}

fn apply_step(i: usize, step: &TransformStep, x: f64) -> Result<f64, TransformError> {
    Ok(match step {
        TransformStep::Linear { scale, offset } => scale.get() * x + offset.get(),
        TransformStep::Unit { from, to } => {
            let (f, t) = unit_pair(i, from, to)?;
            x * f.factor / t.factor
        }
        TransformStep::Rescale { from, to } => {
            let (a, b) = (from[0].get(), from[1].get());
            let (c, d) = (to[0].get(), to[1].get());
            if a == b {
                return Err(TransformError::Undefined {
                    step: i,
                    why: "the rescale's source ends are equal".into(),
                });
            }
            c + (x - a) * (d - c) / (b - a)
        }
        TransformStep::Invert { lo, hi } => (lo.get() + hi.get()) - x,
        TransformStep::Piecewise { points } => {
            let pts = knots(i, points)?;
            piecewise(i, &pts, x)?
        }
    })
}

fn inverse_step(i: usize, step: &TransformStep, y: f64) -> Result<f64, TransformError> {
    Ok(match step {
        TransformStep::Linear { scale, offset } => {
            if scale.get() == 0.0 {
                return Err(TransformError::NotInvertible {
                    step: i,
                    why: "the scale is 0, so every value gives the offset".into(),
                });
            }
            (y - offset.get()) / scale.get()
        }
        TransformStep::Unit { from, to } => {
            let (f, t) = unit_pair(i, from, to)?;
            y * t.factor / f.factor
        }
        TransformStep::Rescale { from, to } => {
            let (a, b) = (from[0].get(), from[1].get());
            let (c, d) = (to[0].get(), to[1].get());
            if a == b {
                return Err(TransformError::Undefined {
                    step: i,
                    why: "the rescale's source ends are equal".into(),
                });
            }
            if c == d {
                return Err(TransformError::NotInvertible {
                    step: i,
                    why:
                        "the rescale's target ends are equal, so every value gives the same result"
                            .into(),
                });
            }
            a + (y - c) * (b - a) / (d - c)
        }
        TransformStep::Invert { lo, hi } => (lo.get() + hi.get()) - y,
        TransformStep::Piecewise { points } => {
            let pts = knots(i, points)?;
            let rising = pts[1].1 > pts[0].1;
            for (j, w) in pts.windows(2).enumerate() {
                let ok = if rising {
                    w[1].1 > w[0].1
                } else {
                    w[1].1 < w[0].1
                };
                if !ok {
                    return Err(TransformError::NotInvertible {
                        step: i,
                        why: format!(
                            "the piecewise y values do not change strictly in one \
                             direction (points {j} and {})",
                            j + 1
                        ),
                    });
                }
            }
            // The same interpolation with the roles of x and y swapped; the
            // points are put in increasing order of their new abscissa.
            let mut swapped: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (y, x)).collect();
            if !rising {
                swapped.reverse();
            }
            piecewise(i, &swapped, y)?
        }
    })
}

/// A piecewise step's points as numbers: at least two, x increasing strictly.
fn knots(
    i: usize,
    points: &[[deltabench_model::Value; 2]],
) -> Result<Vec<(f64, f64)>, TransformError> {
    if points.len() < 2 {
        return Err(TransformError::Undefined {
            step: i,
            why: "a piecewise step needs at least two points".into(),
        });
    }
    let pts: Vec<(f64, f64)> = points.iter().map(|p| (p[0].get(), p[1].get())).collect();
    if pts.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(TransformError::Undefined {
            step: i,
            why: "the piecewise x values do not increase strictly".into(),
        });
    }
    Ok(pts)
}

/// Linear interpolation through `pts` (at least two, abscissas increasing
/// strictly) at `x`, which must lie within the first and last abscissa. A
/// result is kept within its segment's ends, so rounding cannot break the
/// order of results across a knot.
fn piecewise(i: usize, pts: &[(f64, f64)], x: f64) -> Result<f64, TransformError> {
    let (lo, hi) = match (pts.first(), pts.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => {
            return Err(TransformError::Undefined {
                step: i,
                why: "a piecewise step needs at least two points".into(),
            });
        }
    };
    if !(lo..=hi).contains(&x) {
        return Err(TransformError::OutsideDomain {
            step: i,
            value: x,
            lo,
            hi,
        });
    }
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x == x0 {
            return Ok(y0);
        }
        if x < x1 {
            let y = y0 + (x - x0) * (y1 - y0) / (x1 - x0);
            return Ok(if y.is_finite() {
                y.clamp(y0.min(y1), y0.max(y1))
            } else {
                y
            });
        }
    }
    Ok(pts[pts.len() - 1].1)
}

/// How a transform treats the order of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Monotonicity {
    /// Larger inputs never give smaller results (and not all results are
    /// equal): a "higher is better" indicator stays so. Strictly increasing
    /// when every step passes [`check`].
    Increasing,
    /// Larger inputs never give larger results (and not all results are
    /// equal): the direction of "better" flips. Strictly decreasing when
    /// every step passes [`check`].
    Decreasing,
    /// Every input gives the same result.
    Constant,
    /// Neither: some step rises in places and falls in others, or is
    /// malformed.
    NotMonotone,
}

impl Monotonicity {
    /// This transform followed by one that behaves as `next`.
    fn then(self, next: Self) -> Self {
        use Monotonicity::*;
        match (self, next) {
            (Constant, _) | (_, Constant) => Constant,
            (NotMonotone, _) | (_, NotMonotone) => NotMonotone,
            (Increasing, m) => m,
            (Decreasing, Increasing) => Decreasing,
            (Decreasing, Decreasing) => Increasing,
        }
    }

    fn of_slope(slope: f64) -> Self {
        if slope > 0.0 {
            Self::Increasing
        } else if slope < 0.0 {
            Self::Decreasing
        } else if slope == 0.0 {
            Self::Constant
        } else {
            Self::NotMonotone
        }
    }
}

/// Whether the steps composed keep the order of values, reverse it, map
/// everything to one value, or none of these. The empty list (the identity)
/// is increasing. A unit step counts as increasing whether or not its units
/// are known (every factor in the table is positive; [`check`] tests the
/// names).
pub fn monotonicity(steps: &[TransformStep]) -> Monotonicity {
    steps
        .iter()
        .map(step_monotonicity)
        .fold(Monotonicity::Increasing, Monotonicity::then)
}

fn step_monotonicity(step: &TransformStep) -> Monotonicity {
    match step {
        TransformStep::Linear { scale, .. } => Monotonicity::of_slope(scale.get()),
        TransformStep::Unit { .. } => Monotonicity::Increasing,
        TransformStep::Rescale { from, to } => {
            let (a, b) = (from[0].get(), from[1].get());
            let (c, d) = (to[0].get(), to[1].get());
            if a == b {
                Monotonicity::NotMonotone
            } else if c == d {
                Monotonicity::Constant
            } else if (d > c) == (b > a) {
                Monotonicity::Increasing
            } else {
                Monotonicity::Decreasing
            }
        }
        TransformStep::Invert { .. } => Monotonicity::Decreasing,
        TransformStep::Piecewise { points } => {
            if points.len() < 2 || points.windows(2).any(|w| w[0][0] >= w[1][0]) {
                return Monotonicity::NotMonotone;
            }
            let rises = points.windows(2).any(|w| w[1][1] > w[0][1]);
            let falls = points.windows(2).any(|w| w[1][1] < w[0][1]);
            match (rises, falls) {
                (true, false) => Monotonicity::Increasing,
                (false, true) => Monotonicity::Decreasing,
                (false, false) => Monotonicity::Constant,
                (true, true) => Monotonicity::NotMonotone,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::Value;

    fn v(x: f64) -> Value {
        Value::new(x).unwrap()
    }

    fn linear(scale: f64, offset: f64) -> TransformStep {
        TransformStep::Linear {
            scale: v(scale),
            offset: v(offset),
        }
    }

    fn unit_step(from: &str, to: &str) -> TransformStep {
        TransformStep::Unit {
            from: from.into(),
            to: to.into(),
        }
    }

    fn rescale(a: f64, b: f64, c: f64, d: f64) -> TransformStep {
        TransformStep::Rescale {
            from: [v(a), v(b)],
            to: [v(c), v(d)],
        }
    }

    fn piecewise_step(points: &[(f64, f64)]) -> TransformStep {
        TransformStep::Piecewise {
            points: points.iter().map(|&(x, y)| [v(x), v(y)]).collect(),
        }
    }

    fn field(steps: &[TransformStep]) -> String {
        check(steps).unwrap_err().field
    }

    #[test]
    fn check_names_the_offending_field() {
        let ok = linear(2.0, 3.0);
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(check(&[ok.clone(), unit_step("ratio", "%")]), Ok(()));
        assert_eq!(
            field(&[ok.clone(), unit_step("hours", "score_0_100")]),
            "transform[1].to"
        );
        assert_eq!(field(&[unit_step("points_1_5", "%")]), "transform[0].from");
        assert_eq!(field(&[linear(0.0, 5.0)]), "transform[0].scale");
        let e = check(&[ok.clone(), ok.clone(), unit_step("days", "%")]).unwrap_err();
        assert_eq!(e.field, "transform[2].to");
        assert!(
            e.reason.contains("time") && e.reason.contains("share"),
            "{e}"
        );
        assert_eq!(
            field(&[ok.clone(), rescale(1.0, 5.0, 50.0, 50.0)]),
            "transform[1].to"
        );
        assert_eq!(field(&[rescale(1.0, 1.0, 0.0, 100.0)]), "transform[0].from");
        assert_eq!(
            field(&[piecewise_step(&[(0.0, 1.0)])]),
            "transform[0].points"
        );
        assert_eq!(
            field(&[piecewise_step(&[(0.0, 0.0), (1.0, 5.0), (2.0, 5.0)])]),
            "transform[0].points[2]"
        );
        assert_eq!(
            field(&[ok, piecewise_step(&[(0.0, 0.0), (1.0, 5.0), (2.0, 3.0)])]),
            "transform[1].points[2]"
        );
        assert_eq!(
            field(&[piecewise_step(&[(0.0, 0.0), (0.0, 5.0)])]),
            "transform[0].points[1]"
        );
        let huge = TransformStep::Invert {
            lo: v(f64::MAX),
            hi: v(f64::MAX),
        };
        assert_eq!(field(&[huge]), "transform[0].hi");
        // Decreasing y is as good as increasing y.
        assert_eq!(
            check(&[piecewise_step(&[(0.0, 9.0), (1.0, 5.0), (2.0, 3.0)])]),
            Ok(())
        );
    }

    #[test]
    fn unit_lookup_by_name_and_alias() {
        assert_eq!(unit("%").map(|u| u.name), Some("%"));
        assert_eq!(unit(" Percent ").map(|u| u.name), Some("%"));
        assert_eq!(unit("百分比").map(|u| u.name), Some("%"));
        assert_eq!(unit("BP").map(|u| u.name), Some("basis_points"));
        assert_eq!(unit("10K_Yuan").map(|u| u.name), Some("10k_yuan"));
        assert_eq!(unit("亿元").map(|u| u.name), Some("100m_yuan"));
        assert_eq!(unit("H").map(|u| u.name), Some("hours"));
        assert_eq!(unit("日").map(|u| u.name), Some("days"));
        assert_eq!(unit("万人").map(|u| u.name), Some("10k_count"));
        assert_eq!(unit("score_0_100"), None);
        assert_eq!(unit(""), None);
        assert_eq!(unit_factor("ratio", "%"), Ok(100.0));
        assert_eq!(unit_factor("days", "hours"), Ok(24.0));
        assert_eq!(
            unit_factor("days", "yuan"),
            Err(TransformError::IncompatibleUnits {
                step: 0,
                from: "days".into(),
                to: "yuan".into()
            })
        );
        assert_eq!(
            unit_factor("ratio", "furlongs"),
            Err(TransformError::UnknownUnit {
                step: 0,
                unit: "furlongs".into()
            })
        );
    }

    #[test]
    fn table_is_consistent() {
        let mut names: Vec<String> = Vec::new();
        for u in units() {
            assert!(u.factor > 0.0 && u.factor.is_finite(), "{u:?}");
            assert!(
                units()
                    .iter()
                    .any(|b| b.dimension == u.dimension && b.factor == 1.0),
                "{} has no base unit",
                u.dimension
            );
            names.push(u.name.to_ascii_lowercase());
        }
        for (alias, canonical) in ALIASES {
            assert!(
                units().iter().any(|u| u.name == canonical),
                "{alias} -> {canonical}"
            );
            assert_eq!(unit(alias).map(|u| u.name), Some(canonical));
            names.push(alias.to_ascii_lowercase());
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a name or alias is used twice");
    }

    #[test]
    fn monotonicity_composes() {
        use Monotonicity::*;
        assert_eq!(monotonicity(&[]), Increasing);
        let inv = TransformStep::Invert {
            lo: v(0.0),
            hi: v(100.0),
        };
        assert_eq!(monotonicity(std::slice::from_ref(&inv)), Decreasing);
        assert_eq!(monotonicity(&[inv.clone(), inv.clone()]), Increasing);
        assert_eq!(
            monotonicity(&[inv.clone(), rescale(1.0, 5.0, 100.0, 0.0)]),
            Increasing
        );
        assert_eq!(monotonicity(&[linear(-2.0, 1.0)]), Decreasing);
        assert_eq!(monotonicity(&[linear(0.0, 1.0), inv.clone()]), Constant);
        assert_eq!(monotonicity(&[rescale(0.0, 1.0, 3.0, 3.0)]), Constant);
        let zigzag = piecewise_step(&[(0.0, 0.0), (1.0, 5.0), (2.0, 3.0)]);
        assert_eq!(monotonicity(std::slice::from_ref(&zigzag)), NotMonotone);
        assert_eq!(monotonicity(&[zigzag, linear(0.0, 2.0)]), Constant);
        let flat_then_up = piecewise_step(&[(0.0, 1.0), (1.0, 1.0), (2.0, 3.0)]);
        assert_eq!(monotonicity(&[flat_then_up, inv]), Decreasing);
        assert_eq!(
            monotonicity(&[piecewise_step(&[(0.0, 1.0), (1.0, 1.0)])]),
            Constant
        );
        assert_eq!(monotonicity(&[unit_step("ratio", "%")]), Increasing);
    }

    #[test]
    fn errors_name_the_step() {
        let steps = [linear(1.0, 0.0), unit_step("hours", "%")];
        let e = apply(&steps, 1.0).unwrap_err();
        assert!(e.to_string().starts_with("transform step 1: "), "{e}");
        assert_eq!(
            apply(&[], f64::NAN),
            Err(TransformError::NotFinite { step: 0 })
        );
        assert_eq!(
            inverse(&steps, f64::INFINITY),
            Err(TransformError::NotFinite { step: 1 })
        );
        let overflow = [linear(1e300, 0.0), linear(1e300, 0.0)];
        assert_eq!(
            apply(&overflow, 1.0),
            Err(TransformError::NotFinite { step: 1 })
        );
        let pw = piecewise_step(&[(0.0, 10.0), (10.0, 0.0)]);
        assert_eq!(
            inverse(&[pw], 11.0),
            Err(TransformError::OutsideDomain {
                step: 0,
                value: 11.0,
                lo: 0.0,
                hi: 10.0
            })
        );
        let e = inverse(&[linear(0.0, 3.0)], 3.0).unwrap_err();
        assert!(matches!(e, TransformError::NotInvertible { step: 0, .. }));
    }

    #[test]
    fn malformed_steps_are_errors_not_panics() {
        let one_point = TransformStep::Piecewise {
            points: vec![[v(0.0), v(0.0)]],
        };
        assert!(matches!(
            apply(std::slice::from_ref(&one_point), 0.0),
            Err(TransformError::Undefined { step: 0, .. })
        ));
        assert!(matches!(
            inverse(&[one_point], 0.0),
            Err(TransformError::Undefined { step: 0, .. })
        ));
        let empty = TransformStep::Piecewise { points: vec![] };
        assert!(apply(&[empty], 0.0).is_err());
        assert!(matches!(
            apply(&[rescale(2.0, 2.0, 0.0, 1.0)], 2.0),
            Err(TransformError::Undefined { step: 0, .. })
        ));
    }
}
