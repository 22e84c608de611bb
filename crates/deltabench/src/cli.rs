//! The command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// deltabench: a federated benchmarking node for government performance
/// appraisal. Each jurisdiction runs one node; nodes exchange signed indicator
/// summaries within their alliances and serve harmonised comparisons.
#[derive(Debug, Parser)]
#[command(name = "deltabench", version, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More detailed logs (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a node: key pair, config file, tokens, and its signed jurisdiction declaration.
    Init(InitArgs),
    /// Run a node (HTTP API and storage) until SIGINT or SIGTERM.
    Run(RunArgs),
    /// Write a backup of a stopped node (config, key, alliance rosters, store) to one file.
    Backup(BackupArgs),
    /// Restore a node from a backup into a new folder.
    Restore(RestoreArgs),
    /// Draft, approve and join alliance rosters.
    Roster(RosterArgs),
    /// Send a framework (JSON), units, observations or livelihood projects (CSV or spreadsheet) to a running node.
    Import(ImportArgs),
    /// Start a three-node demonstration federation on loopback (Taicang,
    /// Kunshan, Jiading) with sample data, recognised crosswalks and a
    /// harmonised comparison; serve until Ctrl-C.
    Demo(DemoArgs),
    /// Propose, endorse and list crosswalks on a running node.
    Crosswalk(CrosswalkArgs),
    /// Print a running node's harmonised comparison of a reference indicator.
    Compare(CompareArgs),
    /// Build, sign and publish a summary on a running node.
    Summary(SummaryArgs),
    /// Sign and publish a period's public ratings of livelihood projects
    /// (per project category, from k ratings) on a running node.
    PublicRatings(PublicRatingsArgs),
    /// Recompute an appraisal under changed weights, targets, scoring rules
    /// or grading (and assumed values) on a running node, beside the
    /// appraisal as it stands; nothing held changes.
    Whatif(WhatifArgs),
    /// Print a running node's debt ratio, debt-service ratio and risk band
    /// by jurisdiction and period, reported and projected.
    DebtRisk(ShowArgs),
    /// Print a running node's year-end forecasts of a framework's monthly
    /// indicators, with their intervals and the chance of missing the target;
    /// with --commit, sign and publish the jurisdiction-level forecasts.
    Forecasts(ForecastsArgs),
    /// Print every member's forecast commitments for a year, scored against
    /// its summary (coverage and interval score).
    ForecastSkill(SkillArgs),
    /// Print every member's signed 12345 hotline summary of a period; with
    /// --publish, sign and publish the node's own.
    Hotline(HotlineArgs),
    /// Print a running node's early warnings (forecasts likely to miss their
    /// target, rising debt bands), or acknowledge one with --acknowledge.
    Warnings(WarningsArgs),
    /// Export or import a bundle of signed documents (for air-gapped offices).
    Bundle(BundleArgs),
    /// List a running node's connected peers.
    Peers(ShowArgs),
    /// Show a running node's refused documents by reason and equivocation evidence.
    Evidence(ShowArgs),
    /// Generate a signed federation of Delta jurisdictions (each with its own
    /// key and chain) as a bundle, with the roster a coordinator anchors on.
    GenerateFederation(GenerateFederationArgs),
}

/// Which real jurisdictions `generate-federation` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CitySet {
    /// The 41 prefecture-level cities of the Yangtze River Delta.
    Delta41,
}

/// `deltabench generate-federation`
#[derive(Debug, Args)]
pub struct GenerateFederationArgs {
    /// The folder to write bundle.json, yrd.delta.roster.json and
    /// federation.json into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// The jurisdictions: the Delta's 41 cities (the default).
    #[arg(long, value_enum, conflicts_with = "synthetic")]
    pub cities: Option<CitySet>,
    /// Instead, this many generated jurisdictions (codes 900001 onwards), for
    /// scale runs.
    #[arg(long)]
    pub synthetic: Option<usize>,
    /// Indicators of the reference framework and of each member's framework.
    #[arg(long, default_value_t = 12)]
    pub indicators: usize,
    /// The years with summaries: a range such as 2021-2025, or one year.
    #[arg(long, default_value = "2021-2025", value_parser = deltabench::delta::parse_periods)]
    pub periods: (u16, u16),
    /// Seeds the members' keys and values: the same seed, the same federation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The issue time of the newest document (RFC 3339); default now. The
    /// others are issued one second apart before it.
    #[arg(long)]
    pub issued_at: Option<String>,
    /// Also write stream.json: this many further documents continuing the
    /// members' chains (each member in turn accepts again one of the
    /// previous member's crosswalks), to feed a node that holds the
    /// federation (scripts/load.sh delta).
    #[arg(long, default_value_t = 0)]
    pub stream: usize,
    /// Also configure the node whose config this is to accept the
    /// federation: the roster is copied beside it as the alliance's anchor,
    /// and its bundle limit raised to fit the bundle. Restart the node to apply.
    #[arg(long)]
    pub join: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench public-ratings`
#[derive(Debug, Args)]
pub struct PublicRatingsArgs {
    /// The node (admin token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The period, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench whatif`
#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// The node (admin token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The node's own framework, e.g. taicang.hqd.
    #[arg(long)]
    pub framework: String,
    /// Its version; the latest covering the period when absent.
    #[arg(long = "framework-version")]
    pub framework_version: Option<String>,
    /// The period, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// A JSON file of changes: {"weights": [{"category", "weights"}],
    /// "scoring": [{"indicator", "scoring"}], "grading": {...},
    /// "values": [{"unit", "indicator", "value"}],
    /// "targets": [{"indicator", "unit"?, "target"}]}.
    #[arg(long)]
    pub changes: std::path::PathBuf,
    /// Monte Carlo draws for the rank intervals.
    #[arg(long, default_value_t = 1000)]
    pub draws: u32,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench forecasts`
#[derive(Debug, Args)]
pub struct TwinArgs {
    /// The node (viewer token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The node's own framework, e.g. taicang.hqd.
    #[arg(long)]
    pub framework: String,
    /// The year, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench forecasts`
#[derive(Debug, Args)]
pub struct ForecastsArgs {
    /// The framework and year, and the node.
    #[command(flatten)]
    pub twin: TwinArgs,
    /// Sign and publish the jurisdiction-level year-end forecasts as a
    /// commitment (kind forecast) instead of listing; needs an admin token.
    #[arg(long)]
    pub commit: bool,
    /// The intervals' level, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.8)]
    pub level: f64,
}

/// `deltabench forecast-skill`
#[derive(Debug, Args)]
pub struct SkillArgs {
    /// The node (viewer token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The year, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench hotline`
#[derive(Debug, Args)]
pub struct HotlineArgs {
    /// The node (viewer token; admin with --publish).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The period, e.g. 2025 or 2025-03.
    #[arg(long)]
    pub period: String,
    /// Sign and publish the node's hotline summary of the period (kind
    /// hotline): counts per category and per H3 cell of at least k
    /// requests.
    #[arg(long)]
    pub publish: bool,
    /// The H3 resolution of the published cells, 0 to 15.
    #[arg(long, default_value_t = 8, requires = "publish")]
    pub resolution: u8,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench warnings`
#[derive(Debug, Args)]
pub struct WarningsArgs {
    /// The framework and year, and the node.
    #[command(flatten)]
    pub twin: TwinArgs,
    /// Acknowledge this warning (its id) instead of listing; needs an admin
    /// token, --action and --by.
    #[arg(long, requires_all = ["action", "by"])]
    pub acknowledge: Option<String>,
    /// What the unit will do.
    #[arg(long)]
    pub action: Option<String>,
    /// Who acknowledges.
    #[arg(long)]
    pub by: Option<String>,
}

/// `deltabench summary`
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The node (admin token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The framework id, e.g. taicang.hqd.
    #[arg(long)]
    pub framework: String,
    /// The framework version, e.g. 1.0.0.
    #[arg(long)]
    pub framework_version: String,
    /// The period, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// Why a changed summary replaces the one already published.
    #[arg(long)]
    pub reason: Option<String>,
    /// Summarise the node's own reported debt figures of the period (each
    /// indicator of the framework one of debt_ratio, debt_service_ratio,
    /// debt_balance, comprehensive_resources, debt_service_due) rather
    /// than its appraisal.
    #[arg(long)]
    pub debt: bool,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench bundle`
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BundleCommand,
}

/// The bundle subcommands.
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write every signed document the node holds to a file.
    Export(BundleExportArgs),
    /// Send a bundle file to the node, which checks every document as if it
    /// came from the network. Exits 3 when some documents were refused.
    Import(BundleImportArgs),
}

/// `deltabench bundle export`
#[derive(Debug, Args)]
pub struct BundleExportArgs {
    /// The node (viewer token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Documents fetched per request (1 to 1000); the file is written page
    /// by page, so neither side holds the whole bundle.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub page: u16,
    /// Print a JSON line with the file and the number of documents.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench bundle import`
#[derive(Debug, Args)]
pub struct BundleImportArgs {
    /// The node (admin token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// The bundle file.
    pub file: PathBuf,
    /// Documents sent per request; the file is read page by page, so
    /// neither side holds the whole bundle. A document held back in one
    /// page and released by a later one counts as both waiting and accepted.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..))]
    pub page: u16,
    /// Print the node's JSON answer (added up over the pages).
    #[arg(long)]
    pub json: bool,
}

/// `deltabench peers` and `deltabench evidence`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The node (viewer token).
    #[command(flatten)]
    pub node: NodeArgs,
    /// Print the node's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The first API port: the nodes listen on N, N+1 and N+2 on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    pub api_port_base: u16,
    /// Keep the nodes' data (and demo.json) here; a run on a folder that
    /// holds a demo restarts the same nodes. Default: a temporary folder,
    /// removed at the end.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Also start a coordinator node (the Delta coordination office, 319900,
    /// API on the port after the three) that imports a generated federation
    /// of the Delta's 41 cities as a bundle.
    #[arg(long)]
    pub delta: bool,
}

/// Where a client command finds its node.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node's API, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "DELTABENCH_NODE")]
    pub node: String,
    /// A token of the node (admin to write, viewer to read).
    #[arg(long, env = "DELTABENCH_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// `deltabench crosswalk`
#[derive(Debug, Args)]
pub struct CrosswalkArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CrosswalkCommand,
}

/// The crosswalk subcommands.
#[derive(Debug, Subcommand)]
pub enum CrosswalkCommand {
    /// Propose crosswalks (JSON payload files): each is signed and published,
    /// with this node's acceptance unless --no-endorse.
    Propose(CrosswalkProposeArgs),
    /// Accept or reject the current version of a crosswalk.
    Endorse(CrosswalkEndorseArgs),
    /// List the crosswalks held, with their status.
    List(CrosswalkListArgs),
}

/// `deltabench crosswalk propose`
#[derive(Debug, Args)]
pub struct CrosswalkProposeArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// A crosswalk payload file (repeatable).
    #[arg(long = "file", required = true)]
    pub files: Vec<PathBuf>,
    /// Publish without this node's acceptance.
    #[arg(long)]
    pub no_endorse: bool,
    /// Print the result as JSON (one object per line, one line per file).
    #[arg(long)]
    pub json: bool,
}

/// An endorsement's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecisionArg {
    /// Recognise the crosswalk.
    Accept,
    /// Refuse it (withdraws an earlier acceptance).
    Reject,
}

/// `deltabench crosswalk endorse`
#[derive(Debug, Args)]
pub struct CrosswalkEndorseArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// The crosswalk id (repeatable).
    #[arg(long = "id", required = true)]
    pub ids: Vec<String>,
    /// Accept or reject.
    #[arg(long, value_enum)]
    pub decision: DecisionArg,
    /// A comment kept in the signed endorsement.
    #[arg(long)]
    pub comment: Option<String>,
    /// Print the result as JSON (one object per line, one line per id).
    #[arg(long)]
    pub json: bool,
}

/// `deltabench crosswalk list`
#[derive(Debug, Args)]
pub struct CrosswalkListArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// Only crosswalks with this status (recognised, pending, rejected, superseded).
    #[arg(long)]
    pub status: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How `deltabench compare` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// An aligned table.
    Table,
    /// The JSON answer.
    Json,
    /// CSV.
    Csv,
    /// SDMX-CSV 2.0.
    SdmxCsv,
}

/// `deltabench compare`
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// The reference indicator, FRAMEWORK/CODE (e.g. yrd.tax/ontime_filing_rate).
    #[arg(long)]
    pub indicator: String,
    /// The period, e.g. 2025.
    #[arg(long)]
    pub period: String,
    /// Rank flagged rows too (non-exact or unrecognised crosswalks).
    #[arg(long)]
    pub include_flagged: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Print the JSON answer (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

/// What `deltabench import` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// Observations: columns unit,indicator,period,value[,target].
    Observations,
    /// Units: columns id,name_zh,name_en,category.
    Units,
    /// A framework version, as JSON.
    Framework,
    /// Livelihood projects: columns id,name_zh,name_en,unit,place,budget,
    /// period,category and optionally milestone_zh,milestone_en,planned,
    /// actual,progress (one milestone per row; rows with the same id are
    /// one project), or a JSON array of projects.
    Projects,
    /// Debt figures and the bond calendar, as JSON: {"actuals": [{jurisdiction,
    /// period, debt_balance, comprehensive_resources, debt_service_due}],
    /// "calendar": [{jurisdiction, period, issuance, repayment}]}, or a table
    /// with one row a period: jurisdiction,period and debt_balance,
    /// comprehensive_resources,debt_service_due (reported) or
    /// issuance,repayment (planned).
    Debt,
    /// 12345 hotline requests (CSV or a spreadsheet): id, category,
    /// department, accepted_at and the other request columns (Open311
    /// names accepted); --coordinates states the system of lat and long.
    Tickets,
}

/// `deltabench import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The node's API, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "DELTABENCH_NODE")]
    pub node: String,
    /// An admin token of the node.
    #[arg(long, env = "DELTABENCH_TOKEN", hide_env_values = true)]
    pub token: String,
    /// What the file holds.
    #[arg(long, value_enum, default_value_t = ImportKind::Observations)]
    pub kind: ImportKind,
    /// The spreadsheet's sheet (the first one when absent).
    #[arg(long)]
    pub sheet: Option<String>,
    /// The coordinate system of hotline requests' lat and long: wgs84,
    /// gcj02 (Amap, Tencent) or bd09 (Baidu).
    #[arg(long)]
    pub coordinates: Option<String>,
    /// Print the node's answer as JSON.
    #[arg(long)]
    pub json: bool,
    /// The file: .csv, .xlsx, .xls or .ods (.json for a framework).
    pub file: PathBuf,
}

/// `deltabench init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The jurisdiction's GB/T 2260 code, e.g. 320585.
    #[arg(long)]
    pub jurisdiction: String,
    /// The name in Chinese, e.g. 太仓市.
    #[arg(long)]
    pub name_zh: String,
    /// The name in English, e.g. Taicang.
    #[arg(long)]
    pub name_en: String,
    /// The folder to create the node in (node.toml, node.key, data/).
    #[arg(long)]
    pub dir: PathBuf,
    /// The address the HTTP API listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub api_listen: String,
    /// The libp2p listen multiaddress.
    #[arg(long, default_value = "/ip4/0.0.0.0/tcp/4001")]
    pub p2p_listen: String,
    /// A peer to dial, as a multiaddress (repeatable).
    #[arg(long)]
    pub bootstrap: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The node's config file.
    #[arg(long)]
    pub config: PathBuf,
}

/// `deltabench backup`
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The node's config file. The node must be stopped.
    #[arg(long)]
    pub config: PathBuf,
    /// The backup file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench restore`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// The folder to restore the node into; it must not exist or be empty.
    #[arg(long)]
    pub dir: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench roster`
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// What to do with a roster.
    #[command(subcommand)]
    pub command: RosterCommand,
}

/// The roster subcommands.
#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Draft a roster (without approvals) and write it to a file.
    New(RosterNewArgs),
    /// Add this node's approval to a roster file.
    Approve(RosterApproveArgs),
    /// Make a roster file this node's anchor for its alliance (adds it to the config).
    Join(RosterJoinArgs),
    /// Check a roster file's approvals and print its state.
    Check(RosterCheckArgs),
    /// Publish the next roster version through a running node: it is signed
    /// on the node's chain and travels to every member, which puts it in force.
    Publish(RosterPublishArgs),
}

/// `deltabench roster publish`
#[derive(Debug, Args)]
pub struct RosterPublishArgs {
    /// The node's API, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "DELTABENCH_NODE")]
    pub node: String,
    /// An admin token of the node.
    #[arg(long, env = "DELTABENCH_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The approved roster file (version N+1 of a roster in force).
    #[arg(long)]
    pub roster: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench roster new`
#[derive(Debug, Args)]
pub struct RosterNewArgs {
    /// The alliance, e.g. yrd.tax.
    #[arg(long)]
    pub alliance: String,
    /// The roster version (1 for a new alliance; N+1 to change one in force).
    #[arg(long, default_value_t = 1)]
    pub roster_version: u64,
    /// A member as CODE,PUBLIC_KEY,NAME_ZH,NAME_EN (repeatable). The public key
    /// is what `deltabench init --json` printed for that node.
    #[arg(long = "member", required = true)]
    pub members: Vec<String>,
    /// How many members must approve the next version.
    #[arg(long)]
    pub threshold: u32,
    /// How many days the roster stays in force.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// The alliance's reference framework, if any.
    #[arg(long)]
    pub reference_framework: Option<String>,
    /// How many members must accept a crosswalk onto the reference framework.
    #[arg(long)]
    pub recognition_quorum: Option<u32>,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// A running node of the alliance (e.g. http://127.0.0.1:8080). Needed
    /// when the draft removes a member: the draft then records where each
    /// removed member's chain stands as that node sees it, carries the
    /// alliance's earlier former members forward, and names the id of the
    /// version in force there as the one it follows.
    #[arg(long, env = "DELTABENCH_NODE", requires = "token")]
    pub node: Option<String>,
    /// A token of that node (a viewer token is enough).
    #[arg(long, env = "DELTABENCH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench roster approve`
#[derive(Debug, Args)]
pub struct RosterApproveArgs {
    /// The approving node's config file.
    #[arg(long)]
    pub config: PathBuf,
    /// The roster file; the approval is added in place.
    #[arg(long)]
    pub roster: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench roster join`
#[derive(Debug, Args)]
pub struct RosterJoinArgs {
    /// The node's config file.
    #[arg(long)]
    pub config: PathBuf,
    /// The approved roster file; it is copied beside the config.
    #[arg(long)]
    pub roster: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deltabench roster check`
#[derive(Debug, Args)]
pub struct RosterCheckArgs {
    /// The roster file.
    #[arg(long)]
    pub roster: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
