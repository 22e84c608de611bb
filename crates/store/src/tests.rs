use super::*;
use crate::backup::{BackupError, restore_backup, write_backup};
use deltabench_model::documents::{Decision, Endorsement, JurisdictionDecl};
use deltabench_trust::{Header, NodeKey};

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::new(s).unwrap()
}

/// A chain of `n` documents: a declaration, then endorsements.
fn chain(seed: u8, issuer: &str, n: u64) -> Vec<Document> {
    let key = NodeKey::from_seed([seed; 32]);
    let mut docs: Vec<Document> = Vec::new();
    for seq in 1..=n {
        let header = Header {
            issuer: code(issuer),
            seq,
            prev: docs.last().map(|d| d.hash().clone()),
            issued_at: Timestamp::from_unix(1_700_000_000 + seq as i64).unwrap(),
        };
        let doc = if seq == 1 {
            let decl = JurisdictionDecl {
                code: code(issuer),
                name_zh: "太仓市".into(),
                name_en: "Taicang".into(),
                public_key: key.public_hex(),
            };
            Document::sign(&key, header, &decl)
        } else {
            let e = Endorsement {
                crosswalk: "a.b".parse().unwrap(),
                crosswalk_hash: DocHash::from_bytes([seq as u8; 32]),
                decision: Decision::Accept,
                comment: Some(format!("{seed}")),
            };
            Document::sign(&key, header, &e)
        };
        docs.push(doc.unwrap());
    }
    docs
}

#[test]
fn documents_are_indexed_by_hash_issuer_and_kind() {
    let store = Store::open_temporary().unwrap();
    let a = chain(1, "320585", 4);
    let b = chain(2, "320583", 2);
    for d in a.iter().chain(&b) {
        assert_eq!(store.put_document(d).unwrap(), Put::Stored);
    }
    assert_eq!(store.document_count(), 6);
    assert_eq!(store.document(a[2].hash()).unwrap().unwrap(), a[2].bytes());
    assert!(store.contains(b[1].hash()).unwrap());
    assert_eq!(
        store.hash_at(&code("320585"), 3).unwrap().as_ref(),
        Some(a[2].hash())
    );
    assert_eq!(store.hash_at(&code("320585"), 5).unwrap(), None);
    assert_eq!(
        store.heads().unwrap(),
        vec![(code("320583"), 2), (code("320585"), 4)]
    );
    assert_eq!(
        store.head(&code("320585")).unwrap(),
        Some((4, a[3].hash().clone()))
    );
    assert_eq!(store.head(&code("310114")).unwrap(), None);

    let page = store.range(&code("320585"), 1, 2).unwrap();
    assert_eq!(page, vec![a[1].bytes().to_vec(), a[2].bytes().to_vec()]);
    assert!(store.range(&code("320585"), 4, 10).unwrap().is_empty());

    let decls = store.list(Some(DocKind::Jurisdiction), None).unwrap();
    assert_eq!(decls.len(), 2);
    assert!(
        decls
            .iter()
            .all(|m| m.kind == DocKind::Jurisdiction && m.seq == 1)
    );
    let ks = store
        .list(Some(DocKind::Endorsement), Some(&code("320583")))
        .unwrap();
    assert_eq!(ks.len(), 1);
    assert_eq!(&ks[0].hash, b[1].hash());
    let all_a = store.list(None, Some(&code("320585"))).unwrap();
    assert_eq!(
        all_a.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let all: Vec<Vec<u8>> = store.all_documents().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0], b[0].bytes());
}

#[test]
fn listings_page_by_position_and_join_up_to_the_whole() {
    let store = Store::open_temporary().unwrap();
    let a = chain(1, "320585", 5);
    let b = chain(2, "320583", 3);
    let c = chain(3, "310114", 2);
    for d in a.iter().chain(&b).chain(&c) {
        store.put_document(d).unwrap();
    }
    let filters: [(Option<DocKind>, Option<JurisdictionCode>); 5] = [
        (None, None),
        (None, Some(code("320585"))),
        (Some(DocKind::Endorsement), None),
        (Some(DocKind::Endorsement), Some(code("320583"))),
        (Some(DocKind::Summary), None),
    ];
    for (kind, issuer) in &filters {
        let whole = store.list(*kind, issuer.as_ref()).unwrap();
        for limit in 1..=whole.len() + 1 {
            let (mut joined, mut after, mut pages) = (Vec::new(), None, 0);
            loop {
                let page = store
                    .list_page(*kind, issuer.as_ref(), after.as_ref(), limit)
                    .unwrap();
                assert!(page.items.len() <= limit);
                pages += 1;
                joined.extend(page.items);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let hashes = |v: &[DocMeta]| v.iter().map(|m| m.hash.clone()).collect::<Vec<_>>();
            assert_eq!(
                hashes(&joined),
                hashes(&whole),
                "{kind:?} {issuer:?} by {limit}"
            );
            assert_eq!(
                pages,
                whole.len().div_ceil(limit).max(1),
                "{kind:?} {issuer:?} by {limit}"
            );
        }
    }
    // The bundle's order, from any position on.
    let all: Vec<(Position, Vec<u8>)> = store.documents_after(None).map(Result::unwrap).collect();
    assert_eq!(all.len(), 10);
    assert_eq!(
        all.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(),
        store
            .all_documents()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    );
    for (i, (p, _)) in all.iter().enumerate() {
        let rest: Vec<_> = store.documents_after(Some(p)).map(Result::unwrap).collect();
        assert_eq!(rest, all[i + 1..].to_vec());
    }
    // A position between documents, or past the end.
    let p = Position {
        issuer: code("320583"),
        seq: 99,
    };
    let rest: Vec<_> = store
        .documents_after(Some(&p))
        .map(|d| d.unwrap().0)
        .collect();
    assert_eq!(
        rest.first(),
        Some(&Position {
            issuer: code("320585"),
            seq: 1
        })
    );
    let end = Position {
        issuer: code("999999"),
        seq: 0,
    };
    assert_eq!(store.documents_after(Some(&end)).count(), 0);
    // Cursors as the API writes them.
    assert_eq!(p.to_string(), "320583:99");
    assert_eq!("320583:99".parse::<Position>().unwrap(), p);
    for bad in [
        "320583",
        "320583:",
        "32058:1",
        "320583:x",
        ":1",
        "320583:-1",
    ] {
        let e = bad.parse::<Position>().unwrap_err();
        assert!(e.contains("ISSUER:SEQ"), "{bad}: {e}");
    }
}

#[test]
fn a_taken_sequence_is_reported_with_the_held_hash() {
    let store = Store::open_temporary().unwrap();
    let a = chain(1, "320585", 2);
    let fork = chain(9, "320585", 2);
    store.put_document(&a[0]).unwrap();
    store.put_document(&a[1]).unwrap();
    assert_eq!(store.put_document(&a[1]).unwrap(), Put::AlreadyHeld);
    assert_eq!(
        store.put_document(&fork[1]).unwrap(),
        Put::SeqTaken(a[1].hash().clone())
    );
    assert_eq!(store.document_count(), 2);
    assert!(!store.contains(fork[1].hash()).unwrap());
}

#[test]
fn pending_documents_leave_when_stored() {
    let store = Store::open_temporary().unwrap();
    let a = chain(1, "320585", 3);
    store.put_pending(&a[2]).unwrap();
    assert_eq!(store.pending_count(), 1);
    assert_eq!(
        store.pending_at(&code("320585"), 3).unwrap().unwrap(),
        a[2].bytes()
    );
    store.put_document(&a[0]).unwrap();
    store.put_document(&a[1]).unwrap();
    store.put_document(&a[2]).unwrap();
    assert_eq!(store.pending_count(), 0);
}

#[test]
fn flushed_writes_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let a = chain(1, "320585", 3);
    {
        let store = Store::open(dir.path()).unwrap();
        for d in &a {
            store.put_document(d).unwrap();
        }
        store.flush().unwrap();
    }
    let store = Store::open_waiting(dir.path()).unwrap();
    assert_eq!(store.document_count(), 3);
    assert_eq!(store.head(&code("320585")).unwrap().unwrap().0, 3);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path()).unwrap();
    // sled takes an exclusive advisory lock (flock) on its database file; a
    // second open, even from the same process, cannot take it.
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(err.to_string().contains("is the node running?"), "{err}");
}

#[test]
fn evidence_and_rejections_are_kept_and_counted() {
    let store = Store::open_temporary().unwrap();
    let a = chain(1, "320585", 2);
    let fork = chain(9, "320585", 2);
    let now = Timestamp::from_unix(1_800_000_000).unwrap();
    store.put_equivocation(a[1].bytes(), &fork[1], now).unwrap();
    let ev = store.equivocations().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].seq, 2);
    assert_eq!(
        ev[0].documents[1],
        serde_json::from_slice::<serde_json::Value>(fork[1].bytes()).unwrap()
    );
    for (i, reason) in [
        Reason::BadSignature,
        Reason::BadSignature,
        Reason::NotAMember,
    ]
    .into_iter()
    .enumerate()
    {
        store
            .record_rejection(&RejectionRecord {
                at: now,
                reason,
                detail: format!("case {i}"),
                source: "bundle".into(),
                issuer: None,
            })
            .unwrap();
    }
    let recent = store.rejections(2).unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].detail, "case 2");
    assert_eq!(
        store.rejection_counts().unwrap(),
        vec![
            ("bad_signature".to_string(), 2),
            ("not_a_member".to_string(), 1)
        ]
    );
}

#[test]
fn backup_restores_the_whole_node_and_refuses_damage() {
    let src = tempfile::tempdir().unwrap();
    let store = Store::open(&src.path().join("db")).unwrap();
    for d in chain(1, "320585", 5).iter().chain(&chain(2, "320583", 3)) {
        store.put_document(d).unwrap();
    }
    store
        .db()
        .open_tree("observations")
        .unwrap()
        .insert(b"k", b"v")
        .unwrap();
    store.flush().unwrap();
    let files = vec![
        ("node.toml".to_string(), b"[node]\n".to_vec()),
        ("node.key".to_string(), b"secret".to_vec()),
    ];
    let mut bytes = Vec::new();
    let stats = write_backup(&mut bytes, &files, store.db()).unwrap();
    assert_eq!(stats.files, 2);
    // 8 documents, each in docs, by_issuer and by_kind, plus the observation.
    assert_eq!(stats.entries, 8 * 3 + 1, "{stats:?}");

    let dst = tempfile::tempdir().unwrap();
    let db_dir = dst.path().join("db");
    let (restored_files, restored) = restore_backup(bytes.as_slice(), &db_dir).unwrap();
    assert_eq!(restored_files, files);
    assert_eq!(restored, stats);
    let copy = Store::open(&db_dir).unwrap();
    assert_eq!(copy.document_count(), 8);
    assert_eq!(copy.heads().unwrap(), store.heads().unwrap());
    assert_eq!(
        copy.db()
            .open_tree("observations")
            .unwrap()
            .get(b"k")
            .unwrap()
            .unwrap(),
        b"v"
    );
    drop(copy);

    // An existing target is refused.
    assert!(matches!(
        restore_backup(bytes.as_slice(), &db_dir),
        Err(BackupError::Invalid(_))
    ));
    // Any changed byte, or a truncation, is refused and leaves no directory.
    for i in [5, bytes.len() / 2, bytes.len() - 3] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        let target = dst.path().join(format!("bad{i}"));
        assert!(restore_backup(bad.as_slice(), &target).is_err(), "byte {i}");
        assert!(!target.exists());
    }
    let target = dst.path().join("short");
    let err = restore_backup(&bytes[..bytes.len() - 10], &target).unwrap_err();
    assert!(
        err.to_string().contains("truncated") || err.to_string().contains("checksum"),
        "{err}"
    );
    assert!(!target.exists());
}

#[test]
fn a_waiting_open_takes_the_store_once_its_holder_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path()).unwrap();
    let path = dir.path().to_path_buf();
    let waiter = std::thread::spawn(move || Store::open_waiting(&path).map(|s| s.document_count()));
    drop(first);
    assert_eq!(waiter.join().unwrap().unwrap(), 0);
}
