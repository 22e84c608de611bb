//! `deltabench`: the federated benchmarking node for government performance
//! appraisal. See README.md for the commands and ARCHITECTURE.md for the code map.

mod cli;
mod client;
mod compare;
mod config;
mod demo;
mod import;
mod init;
mod maintenance;
mod roster;
mod run;

use clap::Parser;

fn main() -> std::process::ExitCode {
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
        cli::Command::Bundle(a) => client::bundle(a),
        cli::Command::Peers(a) => client::peers(a),
        cli::Command::Evidence(a) => client::evidence(a),
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
