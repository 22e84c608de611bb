//! Public rating on the node: projects, the issue of one-time codes,
//! ratings given with them, and the closed loop: a rating of level 1 or 2
//! opens a rectification task for the project's unit (in the same store
//! transaction as the rating), the unit responds, the office calls the
//! resident back; the office hides comments and voids ratings on appeal.
//! Each write is durable when it returns.

use crate::Node;
use crate::local::LocalError;
use crate::verifier::{Admission, CodeVerifier, RatingVerifier, VerifyError};
use deltabench_engine::public::{
    LevelCounts, PublicScore, UnitRating, category_mean, rating_summary, score, unit_values,
};
use deltabench_model::documents::PublicRatingSummary;
use deltabench_model::public::{Project, Rating};
use deltabench_model::rectify::{
    Callback, CallbackResult, Day, Hidden, NAME_MAX, TASK_LEVEL_MAX, TEXT_MAX, Task, TaskStatus,
    Voided, check_text,
};
use deltabench_model::{DocHash, InvalidField, Period, ProjectId, UnitId};
use deltabench_store::public::{Moderated, OpenTask, Rated, RatingRecord, SlotRule, TaskUpdate};
use deltabench_trust::Document;
use deltabench_trust::codes::{CodeKey, RatingCode};
use std::collections::BTreeMap;
use std::sync::Arc;

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
        let mut counts: BTreeMap<ProjectId, LevelCounts> = BTreeMap::new();
        for (_, r) in self.counted_ratings()? {
            counts
                .entry(r.project)
                .or_default()
                .add(r.level)
                .map_err(LocalError::Invalid)?;
        }
        let disclosure = &self.policy().public;
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
                    score: score(&mine, prior, disclosure),
                }
            })
            .collect())
    }

    fn code_key(&self) -> CodeKey {
        CodeKey::derive(&self.key().seed())
    }

    /// Puts `verifier` in place of the one-time codes as the check on
    /// every rating's credential from now on (see [`crate::verifier`]).
    /// Codes issued before are then only accepted if it accepts them.
    pub fn set_verifier(&self, verifier: Arc<dyn RatingVerifier>) {
        tracing::info!(verifier = verifier.name(), "rating verifier set");
        *self.verifier.write().unwrap_or_else(|e| e.into_inner()) = Some(verifier);
    }

    /// The check on rating credentials in force.
    fn verifier(&self) -> Arc<dyn RatingVerifier> {
        let set = self.verifier.read().unwrap_or_else(|e| e.into_inner());
        match &*set {
            Some(v) => v.clone(),
            None => Arc::new(CodeVerifier::new(self.code_key())),
        }
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

    /// Stores a resident's rating if the node's verifier admits its code
    /// (by default: a one-time code issued for the project that has not
    /// rated yet); a rating of level 1 or 2 opens a rectification task for
    /// the project's unit in the same transaction, due the policy's
    /// working days later. `Ok(Rated::Stored(id))` is durable when it
    /// returns; `CodeUsed` and `UnknownCode` store nothing. An unknown
    /// project is `NotFound`; a malformed code, level or comment is
    /// `Invalid`, naming the field; a verifier that cannot decide now is
    /// `Unavailable`.
    pub fn rate(&self, r: RatingRequest) -> Result<Rated, LocalError> {
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
        let (slot, rule) = match self.verifier().admit(&project, &r.code) {
            Ok(Admission::Issued(slot)) => (slot, SlotRule::Issued),
            Ok(Admission::Checked(slot)) => (slot, SlotRule::FirstUse),
            Ok(Admission::Unknown) => return Ok(Rated::UnknownCode),
            Err(VerifyError::Invalid(f)) => return Err(LocalError::Invalid(f)),
            Err(VerifyError::Unavailable(m)) => {
                return Err(LocalError::Unavailable(format!(
                    "the rating check is unavailable, nothing was stored; try again later: {m}"
                )));
            }
        };
        let task = (rating.level <= TASK_LEVEL_MAX).then(|| OpenTask {
            unit: project.unit.clone(),
            due: self.policy().rectify.due(rating.at),
        });
        let rated = self.store().rate(&slot, rule, &rating, task.as_ref())?;
        if matches!(rated, Rated::Stored(_)) {
            self.flush()?;
        }
        Ok(rated)
    }
}

/// Which tasks a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFilter {
    /// Tasks in this state.
    Status(TaskStatus),
    /// Open tasks past their due date without a response.
    Overdue,
}

/// A task with whether it is overdue today.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    /// The task.
    pub task: Task,
    /// No response, and today (office date, node clock) is after its due
    /// date.
    pub overdue: bool,
}

/// A blank optional text is no text.
fn optional(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.trim().is_empty())
}

fn moderated(m: Moderated, id: u64) -> Result<RatingRecord, LocalError> {
    match m {
        Moderated::Done(r) => Ok(r),
        Moderated::Unknown => Err(LocalError::NotFound(format!("no rating {id}"))),
        Moderated::Refused(why) => Err(LocalError::Conflict(why)),
    }
}

impl Node {
    /// The office date today, by the node's clock.
    pub fn today(&self) -> Day {
        Day::of(self.now())
    }

    /// Every task that `filter` selects (all without one), oldest first,
    /// each with whether it is overdue today.
    pub fn tasks(&self, filter: Option<TaskFilter>) -> Result<Vec<TaskView>, LocalError> {
        let today = self.today();
        Ok(self
            .store()
            .tasks()?
            .into_iter()
            .map(|task| TaskView {
                overdue: task.is_overdue(today),
                task,
            })
            .filter(|v| match filter {
                None => true,
                Some(TaskFilter::Status(s)) => v.task.status == s,
                Some(TaskFilter::Overdue) => v.overdue,
            })
            .collect())
    }

    fn task_step(
        &self,
        id: u64,
        step: impl Fn(&mut Task) -> Result<(), deltabench_model::rectify::TaskRefusal>,
    ) -> Result<TaskView, LocalError> {
        match self.store().update_task(id, step)? {
            TaskUpdate::Done(task) => {
                self.flush()?;
                Ok(TaskView {
                    overdue: task.is_overdue(self.today()),
                    task,
                })
            }
            TaskUpdate::Unknown => Err(LocalError::NotFound(format!("no task {id}"))),
            TaskUpdate::Refused(why) => Err(LocalError::Conflict(why.to_string())),
        }
    }

    /// Records the unit's response to a task, `late` when after its due
    /// date. A task with a response already, or a void one, is a
    /// `Conflict`; blank or oversized text is `Invalid` naming `text` or
    /// `by`. Durable when it returns.
    pub fn respond(&self, id: u64, text: String, by: String) -> Result<TaskView, LocalError> {
        check_text("text", &text, TEXT_MAX, true).map_err(LocalError::Invalid)?;
        check_text("by", &by, NAME_MAX, false).map_err(LocalError::Invalid)?;
        let at = self.now();
        self.task_step(id, |t| t.respond(text.clone(), by.clone(), at))
    }

    /// Records the call-back to the resident, which closes the task. Before
    /// a response, after a call-back, or on a void task it is a
    /// `Conflict` saying why. Durable when it returns.
    pub fn call_back(
        &self,
        id: u64,
        result: CallbackResult,
        note: Option<String>,
        by: String,
    ) -> Result<TaskView, LocalError> {
        let note = optional(note);
        if let Some(n) = &note {
            check_text("note", n, TEXT_MAX, true).map_err(LocalError::Invalid)?;
        }
        check_text("by", &by, NAME_MAX, false).map_err(LocalError::Invalid)?;
        let callback = Callback {
            result,
            note,
            by,
            at: self.now(),
        };
        self.task_step(id, |t| t.call_back(callback.clone()))
    }

    /// Voids a rating on the unit's appeal: it stays on record with the
    /// decision but counts in no score, and its task becomes `voided`.
    /// Voiding twice is a `Conflict`; an unknown rating `NotFound`.
    /// Durable when it returns.
    pub fn void_rating(
        &self,
        id: u64,
        reason: String,
        decided_by: String,
    ) -> Result<RatingRecord, LocalError> {
        let decision = Voided {
            reason,
            decided_by,
            at: self.now(),
        };
        decision.validate().map_err(LocalError::Invalid)?;
        let r = moderated(self.store().void_rating(id, &decision)?, id)?;
        self.flush()?;
        Ok(r)
    }

    /// Hides a rating's comment from the public routes; the rating still
    /// counts. Hiding twice, or a rating without a comment, is a
    /// `Conflict`. Durable when it returns.
    pub fn hide_comment(
        &self,
        id: u64,
        reason: String,
        by: String,
    ) -> Result<RatingRecord, LocalError> {
        let hidden = Hidden {
            reason,
            by,
            at: self.now(),
        };
        hidden.validate().map_err(LocalError::Invalid)?;
        let r = moderated(self.store().hide_comment(id, &hidden)?, id)?;
        self.flush()?;
        Ok(r)
    }

    /// A project's ratings whose comment the public may read (neither
    /// hidden nor voided), newest first. An unknown project is `NotFound`.
    pub fn public_comments(&self, project: &ProjectId) -> Result<Vec<RatingRecord>, LocalError> {
        if self.store().project(project)?.is_none() {
            return Err(LocalError::NotFound(format!("no project {project}")));
        }
        let mut out: Vec<RatingRecord> = self
            .store()
            .rating_records()?
            .into_iter()
            .filter(|r| &r.rating.project == project && r.public_comment().is_some())
            .collect();
        out.reverse();
        Ok(out)
    }
}

impl Node {
    /// The ratings that count, with their ids: every stored rating but
    /// those voided on appeal. Every aggregate (public scores, unit values,
    /// the published document) reads its ratings here, so a voided rating
    /// leaves all of them at once.
    pub fn counted_ratings(&self) -> Result<Vec<(u64, Rating)>, LocalError> {
        Ok(self
            .store()
            .rating_records()?
            .into_iter()
            .filter(RatingRecord::counts)
            .map(|r| (r.id, r.rating))
            .collect())
    }

    /// The period's projects and the counts per level of their counted
    /// ratings.
    pub fn period_ratings(
        &self,
        period: Period,
    ) -> Result<(Vec<Project>, BTreeMap<ProjectId, LevelCounts>), LocalError> {
        let projects: Vec<Project> = self
            .store()
            .projects()?
            .into_iter()
            .filter(|p| p.period == period)
            .collect();
        let mut counts: BTreeMap<ProjectId, LevelCounts> = BTreeMap::new();
        for (_, r) in self.counted_ratings()? {
            if r.period != period || !projects.iter().any(|p| p.id == r.project) {
                continue;
            }
            counts
                .entry(r.project)
                .or_default()
                .add(r.level)
                .map_err(LocalError::Invalid)?;
        }
        Ok((projects, counts))
    }

    /// Each unit's value of a `public_rating` indicator for `period`: the
    /// mean shrunk score of its projects of the period with at least k
    /// counted ratings, with those projects (units with none are absent).
    pub fn public_unit_values(
        &self,
        period: Period,
    ) -> Result<BTreeMap<UnitId, UnitRating>, LocalError> {
        let (projects, counts) = self.period_ratings(period)?;
        Ok(unit_values(&projects, &counts, &self.policy().public))
    }

    /// The `public_rating` payload of `period` as it stands: the categories
    /// with at least k counted ratings. `Invalid` (naming `period`) when
    /// none reaches k.
    pub fn public_rating_summary(&self, period: Period) -> Result<PublicRatingSummary, LocalError> {
        let (projects, counts) = self.period_ratings(period)?;
        let d = self.policy().public;
        rating_summary(period, &projects, &counts, &d).ok_or_else(|| {
            let n: u64 = counts.values().map(LevelCounts::n).sum();
            LocalError::Invalid(InvalidField::new(
                "period",
                format!(
                    "no project category reaches k = {} counted ratings in {period} ({} projects, {n} ratings): nothing may be published",
                    d.k,
                    projects.len()
                ),
            ))
        })
    }

    /// Signs, stores and publishes the `public_rating` document of
    /// `period`. When the node's latest one for the period says the same,
    /// it is returned as it is (`false`); a changed one replaces it, the
    /// issuer's latest for a period being the current one.
    pub fn publish_public_ratings(&self, period: Period) -> Result<(Document, bool), LocalError> {
        let fresh = self.public_rating_summary(period)?;
        if let Some((hash, held)) = self.latest_public_ratings(period)? {
            if held == fresh {
                let bytes = self.store().document(&hash)?.unwrap_or_default();
                let doc = Document::decode(&bytes, &self.policy().limits).map_err(|r| {
                    LocalError::Store(deltabench_store::StoreError::Corrupt(r.to_string()))
                })?;
                return Ok((doc, false));
            }
        }
        Ok((self.publish(&fresh)?, true))
    }

    /// The node's latest `public_rating` document for `period`.
    fn latest_public_ratings(
        &self,
        period: Period,
    ) -> Result<Option<(DocHash, PublicRatingSummary)>, LocalError> {
        Ok(self
            .held::<PublicRatingSummary>(Some(&self.identity().code))?
            .into_iter()
            .rev()
            .find(|(_, s)| s.period == period)
            .map(|(meta, s)| (meta.hash, s)))
    }
}
