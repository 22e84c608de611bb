//! `deltabench roster`: draft, approve, check and join alliance rosters.

use crate::cli::{RosterArgs, RosterCommand};
use crate::config::{AllianceSection, Loaded, write_atomic};
use anyhow::{Context, Result, bail};
use deltabench_model::documents::{Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, FrameworkId, JurisdictionCode, KeyHex, Timestamp};
use deltabench_node::{Clock, SystemClock};
use deltabench_trust::roster::{approve, check_anchor};
use serde_json::json;
use std::path::Path;

fn read(path: &Path) -> Result<SignedRoster> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a roster", path.display()))
}

fn write(path: &Path, r: &SignedRoster) -> Result<()> {
    write_atomic(
        path,
        (serde_json::to_string_pretty(r)? + "\n").as_bytes(),
        false,
    )
}

fn parse_member(i: usize, s: &str) -> Result<Member> {
    let parts: Vec<&str> = s.splitn(4, ',').map(str::trim).collect();
    let [code, key, name_zh, name_en] = parts.as_slice() else {
        bail!(
            "--member {} {s:?} is not CODE,PUBLIC_KEY,NAME_ZH,NAME_EN",
            i + 1
        );
    };
    Ok(Member {
        code: JurisdictionCode::new(*code).with_context(|| format!("--member {}", i + 1))?,
        key: KeyHex::new(*key).with_context(|| format!("--member {}", i + 1))?,
        name_zh: name_zh.to_string(),
        name_en: name_en.to_string(),
    })
}

pub fn roster(args: RosterArgs) -> Result<()> {
    let now = SystemClock.now();
    match args.command {
        RosterCommand::New(a) => {
            let members = a
                .members
                .iter()
                .enumerate()
                .map(|(i, m)| parse_member(i, m))
                .collect::<Result<Vec<_>>>()?;
            let roster = Roster {
                alliance: AllianceId::new(&a.alliance).context("--alliance")?,
                version: a.roster_version,
                members,
                threshold: a.threshold,
                expires_at: Timestamp::from_unix(now.unix() + i64::from(a.days) * 86_400)?,
                reference_framework: a
                    .reference_framework
                    .map(FrameworkId::new)
                    .transpose()
                    .context("--reference-framework")?,
                recognition_quorum: a.recognition_quorum,
            };
            roster.validate().context("the roster is not valid")?;
            if a.out.exists() {
                bail!("{} exists; choose another --out", a.out.display());
            }
            write(
                &a.out,
                &SignedRoster {
                    roster,
                    approvals: vec![],
                },
            )?;
            if a.json {
                println!(
                    "{}",
                    json!({"roster": a.out.display().to_string(), "approvals": 0})
                );
            } else {
                println!(
                    "wrote {}; each member now runs: deltabench roster approve --config NODE.toml --roster {}",
                    a.out.display(),
                    a.out.display()
                );
            }
        }
        RosterCommand::Approve(a) => {
            let loaded = Loaded::read(&a.config)?;
            let key = loaded.key()?;
            let code = loaded.identity()?.code;
            let mut signed = read(&a.roster)?;
            signed
                .roster
                .validate()
                .context("the roster is not valid")?;
            signed.approvals.retain(|x| x.signer != code);
            signed
                .approvals
                .push(approve(&key, code.clone(), &signed.roster));
            write(&a.roster, &signed)?;
            if a.json {
                println!(
                    "{}",
                    json!({
                        "alliance": signed.roster.alliance, "version": signed.roster.version,
                        "approved_by": code, "approvals": signed.approvals.len(),
                        "threshold": signed.roster.threshold,
                    })
                );
                return Ok(());
            }
            println!(
                "{code} approved {} version {} ({} approvals; threshold {})",
                signed.roster.alliance,
                signed.roster.version,
                signed.approvals.len(),
                signed.roster.threshold
            );
        }
        RosterCommand::Join(a) => {
            let mut loaded = Loaded::read(&a.config)?;
            let signed = read(&a.roster)?;
            check_anchor(&signed, now)
                .with_context(|| format!("{} cannot anchor the alliance", a.roster.display()))?;
            let code = loaded.identity()?.code;
            let key = loaded.key()?.public_hex();
            match signed.roster.member(&code) {
                Some(m) if m.key == key => {}
                Some(_) => bail!("the roster lists {code} with another key than this node's"),
                None => bail!("the roster does not list {code}"),
            }
            let id = signed.roster.alliance.to_string();
            let file = format!("{id}.roster.json");
            write(&loaded.base.join(&file), &signed)?;
            loaded.config.alliances.retain(|x| x.id != id);
            loaded.config.alliances.push(AllianceSection {
                id: id.clone(),
                roster: file.into(),
            });
            loaded.write()?;
            if a.json {
                println!(
                    "{}",
                    json!({"jurisdiction": code, "alliance": id, "version": signed.roster.version,
                           "config": a.config.display().to_string()})
                );
                return Ok(());
            }
            println!(
                "{code} joined {id} (roster version {}); restart the node to apply",
                signed.roster.version
            );
        }
        RosterCommand::Publish(a) => {
            let signed = read(&a.roster)?;
            let client = crate::import::Client::new(&a.node, &a.token)?;
            let body = serde_json::to_vec(&signed)?;
            let (status, answer) =
                client.post("/api/v1/rosters", "application/json", body.into())?;
            if status != 201 {
                let detail = answer["detail"]
                    .as_str()
                    .map_or_else(|| answer.to_string(), str::to_owned);
                bail!("the node refused the roster ({status}): {detail}");
            }
            if a.json {
                println!("{answer}");
                return Ok(());
            }
            println!(
                "{} version {} published as {}",
                signed.roster.alliance,
                signed.roster.version,
                answer["hash"].as_str().unwrap_or("?")
            );
        }
        RosterCommand::Check(a) => {
            let signed = read(&a.roster)?;
            let verdict = check_anchor(&signed, now);
            let r = &signed.roster;
            if a.json {
                println!(
                    "{}",
                    json!({
                        "alliance": r.alliance, "version": r.version, "threshold": r.threshold,
                        "members": r.members.iter().map(|m| m.code.to_string()).collect::<Vec<_>>(),
                        "approvals": signed.approvals.iter().map(|x| x.signer.to_string()).collect::<Vec<_>>(),
                        "expires_at": r.expires_at, "valid_anchor": verdict.is_ok(),
                        "problem": verdict.as_ref().err().map(|e| e.to_string()),
                    })
                );
            } else {
                println!(
                    "{} version {}: {} members, threshold {}, {} approvals, expires {}",
                    r.alliance,
                    r.version,
                    r.members.len(),
                    r.threshold,
                    signed.approvals.len(),
                    r.expires_at
                );
                match &verdict {
                    Ok(()) => println!("valid as an anchor"),
                    Err(e) => println!("not valid as an anchor: {e}"),
                }
            }
            verdict.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}
