//! Public rating on the node: projects, the issue of one-time codes, and
//! ratings given with them. Each write is durable when it returns.

use crate::Node;
use crate::local::LocalError;
use deltabench_engine::public::{LevelCounts, PublicScore, category_mean, score};
use deltabench_model::public::{Project, Rating};
use deltabench_model::{InvalidField, ProjectId};
use deltabench_store::public::Rated;
use deltabench_trust::codes::{CodeKey, RatingCode};

/// The most codes one request issues.
pub const CODES_PER_REQUEST_MAX: usize = 10_000;

/// A rating as a resident sends it.
#[derive(Debug, Clone)]
pub struct RatingRequest {
    /// The project rated.
    pub project: ProjectId,
    /// The one-time code, as typed.
    pub code: String,
    /// The level, 1 to 5.
    pub level: u8,
    /// An optional comment.
    pub comment: Option<String>,
}

/// A project as the public sees it: its score only from k ratings.
#[derive(Debug, Clone)]
pub struct PublicProject {
    /// The project.
    pub project: Project,
    /// Its public score; `None` below k ratings.
    pub score: Option<PublicScore>,
}

impl Node {
    /// Every project with its public score, pulled toward the mean of all
    /// ratings of its category, and shown only from the policy's k ratings.
    pub fn public_projects(&self) -> Result<Vec<PublicProject>, LocalError> {
        let projects = self.store().projects()?;
        let mut counts: std::collections::BTreeMap<ProjectId, LevelCounts> = Default::default();
        for (_, r) in self.store().ratings()? {
            counts
                .entry(r.project)
                .or_default()
                .add(r.level)
                .map_err(LocalError::Invalid)?;
        }
        let disclosure = self.policy().public;
        Ok(projects
            .iter()
            .map(|p| {
                let mine = counts.get(&p.id).copied().unwrap_or_default();
                let prior = category_mean(
                    projects
                        .iter()
                        .filter(|q| q.category == p.category)
                        .filter_map(|q| counts.get(&q.id)),
                )
                .unwrap_or(3.0);
                PublicProject {
                    project: p.clone(),
                    score: score(&mine, prior, &disclosure),
                }
            })
            .collect())
    }

    fn code_key(&self) -> CodeKey {
        CodeKey::derive(&self.key().seed())
    }

    /// Stores projects (replacing those with the same id), whole or not at
    /// all. Each project's unit must be one of the node's units. Durable
    /// when it returns.
    pub fn put_projects(&self, projects: &[Project]) -> Result<usize, LocalError> {
        let units: std::collections::BTreeSet<_> =
            self.store().units()?.into_iter().map(|u| u.id).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, p) in projects.iter().enumerate() {
            let at = |e: InvalidField| {
                LocalError::Invalid(e.within(format!("[{i}]")).within("projects"))
            };
            p.validate().map_err(at)?;
            if !units.contains(&p.unit) {
                return Err(at(InvalidField::new(
                    "unit",
                    format!("{} is not one of this node's units", p.unit),
                )));
            }
            if !seen.insert(&p.id) {
                return Err(at(InvalidField::new(
                    "id",
                    format!("{} is listed twice", p.id),
                )));
            }
        }
        self.store().put_projects(projects)?;
        self.flush()?;
        Ok(projects.len())
    }

    /// Issues `count` one-time codes for a project's period. The node keeps
    /// only their keyed digests: the codes are answered once, here. Durable
    /// when it returns.
    pub fn issue_codes(&self, id: &ProjectId, count: usize) -> Result<Vec<RatingCode>, LocalError> {
        if !(1..=CODES_PER_REQUEST_MAX).contains(&count) {
            return Err(LocalError::Invalid(InvalidField::new(
                "count",
                format!("{count} is not from 1 to {CODES_PER_REQUEST_MAX}"),
            )));
        }
        let project = self
            .store()
            .project(id)?
            .ok_or_else(|| LocalError::NotFound(format!("no project {id}")))?;
        let key = self.code_key();
        let period = project.period.to_string();
        let mut codes = Vec::with_capacity(count);
        let mut digests = Vec::with_capacity(count);
        while codes.len() < count {
            let code = RatingCode::generate().map_err(|e| {
                LocalError::Store(deltabench_store::StoreError::Engine(format!(
                    "the system random source failed: {e}"
                )))
            })?;
            digests.push(key.digest(id.as_str(), &period, &code));
            codes.push(code);
        }
        self.store().issue_codes(&digests)?;
        self.flush()?;
        Ok(codes)
    }

    /// Stores a resident's rating if its code was issued for the project
    /// and has not rated yet. `Ok(Rated::Stored(id))` is durable when it
    /// returns; `CodeUsed` and `UnknownCode` store nothing. An unknown
    /// project is `NotFound`; a malformed code, level or comment is
    /// `Invalid`, naming the field.
    pub fn rate(&self, r: RatingRequest) -> Result<Rated, LocalError> {
        let code = RatingCode::parse(&r.code).map_err(LocalError::Invalid)?;
        let project = self
            .store()
            .project(&r.project)?
            .ok_or_else(|| LocalError::NotFound(format!("no project {}", r.project)))?;
        let rating = Rating {
            project: r.project,
            period: project.period,
            level: r.level,
            comment: r.comment.filter(|c| !c.trim().is_empty()),
            at: self.now(),
        };
        rating.validate().map_err(LocalError::Invalid)?;
        let digest =
            self.code_key()
                .digest(project.id.as_str(), &project.period.to_string(), &code);
        let rated = self.store().rate(&digest, &rating)?;
        if matches!(rated, Rated::Stored(_)) {
            self.flush()?;
        }
        Ok(rated)
    }
}
