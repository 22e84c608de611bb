//! `deltabench roster`: draft, approve, check, join and publish alliance
//! rosters.
//!
//! Roster files are read and written as JSON values, not through the roster
//! types: an approval signs the `roster` object exactly as it stands in the
//! file, members this build does not know included.

use crate::cli::{RosterArgs, RosterCommand, RosterNewArgs};
use crate::config::{AllianceSection, Loaded, write_atomic};
use anyhow::{Context, Result, anyhow, bail};
use deltabench_model::documents::{FormerMember, Member, Roster, SignedRoster};
use deltabench_model::{AllianceId, DocHash, FrameworkId, JurisdictionCode, KeyHex, Timestamp};
use deltabench_node::{Clock, SystemClock};
use deltabench_trust::canonical::parse_strict;
use deltabench_trust::roster::{RosterDoc, approve, check_anchor};
use serde_json::{Value, json};
use std::path::Path;

/// Reads a roster file: its JSON as written, and the roster it holds.
fn read(path: &Path) -> Result<(Value, SignedRoster)> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let raw = parse_strict(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let signed = serde_json::from_value(raw.clone())
        .with_context(|| format!("{} is not a roster", path.display()))?;
    Ok((raw, signed))
}

/// Reads a roster file as a roster document (content checked, id computed).
fn read_doc(path: &Path) -> Result<RosterDoc> {
    let (raw, _) = read(path)?;
    RosterDoc::from_payload(raw).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn write(path: &Path, raw: &Value) -> Result<()> {
    write_atomic(
        path,
        (serde_json::to_string_pretty(raw)? + "\n").as_bytes(),
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

/// The former-member list of a draft of version N+1, from the roster in force
/// at a running node: the entries it holds (less re-admitted members), and an
/// entry for each member the draft drops, with the head of that member's
/// chain as the node sees it.
/// Also returns the id of the roster in force there, which the draft names
/// as the version it follows (`previous`).
fn former_from_node(
    a: &RosterNewArgs,
    roster: &Roster,
) -> Result<(Vec<FormerMember>, Option<DocHash>)> {
    let (Some(node), Some(token)) = (&a.node, &a.token) else {
        return Ok((vec![], None));
    };
    let client = crate::import::Client::new(node, token)?;
    let answer: deltabench_wire::RosterList = client.get_as("/api/v1/rosters")?;
    let current: SignedRoster = answer
        .rosters
        .iter()
        .filter_map(|r| serde_json::from_str::<SignedRoster>(r.get()).ok())
        .find(|r| r.roster.alliance == roster.alliance)
        .ok_or_else(|| {
            anyhow!(
                "the node at {node} has no roster of {} in force",
                roster.alliance
            )
        })?;
    let cur = &current.roster;
    let previous = answer
        .history
        .into_iter()
        .find(|h| h.in_force && h.alliance == roster.alliance)
        .map(|h| h.id);
    if roster.version != cur.version + 1 {
        bail!(
            "--roster-version {} does not follow version {} in force at the node; use {}",
            roster.version,
            cur.version,
            cur.version + 1
        );
    }
    let mut former: Vec<FormerMember> = cur
        .former
        .iter()
        .filter(|f| roster.member(&f.code).is_none())
        .cloned()
        .collect();
    for m in cur
        .members
        .iter()
        .filter(|m| roster.member(&m.code).is_none())
    {
        let (last_seq, last_hash) = chain_head(&client, &m.code)?;
        former.push(FormerMember {
            code: m.code.clone(),
            key: m.key.clone(),
            removed_in: roster.version,
            last_seq,
            last_hash,
        });
    }
    Ok((former, previous))
}

/// The newest document of `code`'s chain that a node holds.
fn chain_head(
    client: &crate::import::Client,
    code: &JurisdictionCode,
) -> Result<(u64, Option<DocHash>)> {
    let answer: deltabench_wire::DocumentPage =
        client.get_as(&format!("/api/v1/documents?issuer={code}"))?;
    Ok(answer
        .documents
        .into_iter()
        .max_by_key(|d| d.seq)
        .map_or((0, None), |d| (d.seq, Some(d.hash))))
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
                    .clone()
                    .map(FrameworkId::new)
                    .transpose()
                    .context("--reference-framework")?,
                recognition_quorum: a.recognition_quorum,
                former: vec![],
                previous: None,
            };
            let (former, previous) = former_from_node(&a, &roster)?;
            let roster = Roster {
                former,
                previous,
                ..roster
            };
            roster.validate().context("the roster is not valid")?;
            if a.out.exists() {
                bail!("{} exists; choose another --out", a.out.display());
            }
            let removed: Vec<String> = roster
                .former
                .iter()
                .filter(|f| f.removed_in == roster.version)
                .map(|f| format!("{} (chain up to seq {})", f.code, f.last_seq))
                .collect();
            write(&a.out, &json!({"roster": roster, "approvals": []}))?;
            if a.json {
                println!(
                    "{}",
                    json!({"roster": a.out.display().to_string(), "approvals": 0,
                           "removed": roster.former.iter().filter(|f| f.removed_in == roster.version)
                               .map(|f| json!({"code": f.code, "last_seq": f.last_seq, "last_hash": f.last_hash}))
                               .collect::<Vec<_>>()})
                );
            } else {
                if !removed.is_empty() {
                    println!("removes {}", removed.join(", "));
                }
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
            let (mut raw, mut signed) = read(&a.roster)?;
            signed
                .roster
                .validate()
                .context("the roster is not valid")?;
            signed.approvals.retain(|x| x.signer != code);
            let approval = approve(&key, code.clone(), &raw["roster"])
                .context("the roster cannot be signed")?;
            signed.approvals.push(approval);
            raw["approvals"] = serde_json::to_value(&signed.approvals)?;
            write(&a.roster, &raw)?;
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
            let doc = read_doc(&a.roster)?;
            check_anchor(&doc, Some(now))
                .with_context(|| format!("{} cannot anchor the alliance", a.roster.display()))?;
            let signed = doc.signed();
            let code = loaded.identity()?.code;
            let key = loaded.key()?.public_hex();
            match signed.roster.member(&code) {
                Some(m) if m.key == key => {}
                Some(_) => bail!("the roster lists {code} with another key than this node's"),
                None => bail!("the roster does not list {code}"),
            }
            let id = signed.roster.alliance.to_string();
            let file = format!("{id}.roster.json");
            write(&loaded.base.join(&file), doc.payload())?;
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
            let (raw, signed) = read(&a.roster)?;
            let client = crate::import::Client::new(&a.node, &a.token)?;
            let body = serde_json::to_vec(&raw)?;
            let answer: deltabench_wire::Published = client
                .post_as("/api/v1/rosters", "application/json", body.into(), 201)?
                .map_err(|r| {
                    anyhow!(
                        "the node refused the roster ({}): {}",
                        r.status,
                        r.problem.detail
                    )
                })?;
            if a.json {
                println!("{}", serde_json::to_string(&answer)?);
                return Ok(());
            }
            println!(
                "{} version {} published as {}",
                signed.roster.alliance, signed.roster.version, answer.hash
            );
        }
        RosterCommand::Check(a) => {
            let doc = read_doc(&a.roster)?;
            let verdict = check_anchor(&doc, Some(now));
            let signed = doc.signed();
            let r = &signed.roster;
            if a.json {
                println!(
                    "{}",
                    json!({
                        "alliance": r.alliance, "version": r.version, "threshold": r.threshold,
                        "members": r.members.iter().map(|m| m.code.to_string()).collect::<Vec<_>>(),
                        "approvals": signed.approvals.iter().map(|x| x.signer.to_string()).collect::<Vec<_>>(),
                        "expires_at": r.expires_at, "valid_anchor": verdict.is_ok(),
                        "id": doc.id(),
                        "former": r.former,
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
