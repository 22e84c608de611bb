//! `deltabench`: the federated benchmarking node for government performance
//! appraisal. See README.md for the commands and ARCHITECTURE.md for the code map.

mod cli;
mod client;
mod compare;
mod config;
mod debt_table;
mod demo;
mod generate;
mod import;
mod init;
mod maintenance;
mod projects;
mod roster;
mod run;

use clap::Parser;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    let cli = cli::Cli::parse();
    run::init_tracing(cli.log_format, cli.verbose);
    let result = match cli.command {
        cli::Command::Init(a) => init::init(a),
        cli::Command::Run(a) => run::run(a),
        cli::Command::Backup(a) => maintenance::backup(a),
        cli::Command::Restore(a) => maintenance::restore(a),
        cli::Command::Roster(a) => roster::roster(a),
        cli::Command::Import(a) => import::import(a),
        cli::Command::Demo(a) => demo::demo(a),
        cli::Command::Crosswalk(a) => compare::crosswalk(a),
        cli::Command::Compare(a) => compare::compare(a),
        cli::Command::Summary(a) => client::summary(a),
        cli::Command::PublicRatings(a) => client::public_ratings(a),
        cli::Command::Whatif(a) => client::whatif(a),
        cli::Command::Forecasts(a) => client::forecasts(a),
        cli::Command::ForecastSkill(a) => client::forecast_skill(a),
        cli::Command::Hotline(a) => client::hotline(a),
        cli::Command::DebtRisk(a) => client::debt_risk(a),
        cli::Command::Warnings(a) => client::warnings(a),
        cli::Command::Bundle(a) => client::bundle(a),
        cli::Command::Peers(a) => client::peers(a),
        cli::Command::Evidence(a) => client::evidence(a),
        cli::Command::GenerateFederation(a) => generate::generate_federation(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line on stderr: the cause chain joined.
            eprintln!("error: {e:#}");
            if e.downcast_ref::<client::Partial>().is_some() {
                std::process::ExitCode::from(client::Partial::EXIT_CODE)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// glibc's allocator gives threads their own arenas, up to eight per core,
/// and memory freed in one arena is not reused by the others. A node that
/// rebuilds its comparison catalogue on blocking threads while serving
/// requests on others then grows with every rebuild. Two arenas halved the
/// comparing node's growth in the soak (docs/RELIABILITY.md). An operator's
/// own `MALLOC_ARENA_MAX` is left in force.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first in `main`, before any thread is started;
        // `mallopt` only sets a parameter of the allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Other allocators keep their own policy.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
