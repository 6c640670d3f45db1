use super::*;
use crate::interview::session::{Now, new_record};
use crate::record::{Answer, AnswerValue};

const SECRET_TEXT: &str = "Глава района берёт откаты";

fn record() -> Record {
    let q = crate::questionnaire::fixtures::every_type();
    let now = Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms: 0,
    };
    let mut r = new_record(
        &q,
        "0191d2f4-0000-7000-8000-000000000001".into(),
        "dev1".into(),
        "I07".into(),
        &now,
    );
    r.answers.insert(
        "comment".into(),
        Answer {
            value: Some(AnswerValue::Text(SECRET_TEXT.into())),
            remark: Some("respondent asked not to quote".into()),
            relevant: true,
            ..Answer::default()
        },
    );
    r.status = Status::Completed;
    r.revision = 12;
    r
}

fn pair() -> (Identities, Recipients) {
    let k = keygen("2026-12-04T12:00:00Z");
    let mut ids = Identities::default();
    ids.add_file("supervisor.key", &k.identity_file).unwrap();
    let to = Recipients::parse("supervisor.pub", &k.recipient_file).unwrap();
    assert_eq!(to.keys().collect::<Vec<_>>(), [k.recipient.as_str()]);
    (ids, to)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[test]
fn a_sealed_record_opens_to_the_same_bytes_and_shows_no_answer() {
    let (ids, to) = pair();
    let rec = record();
    let sealed = seal_record(&rec, &to);
    for secret in [SECRET_TEXT, "respondent asked", "I07", "comment", "paradata", "started"] {
        assert!(!contains(&sealed, secret.as_bytes()), "`{secret}` is in the clear");
    }
    let text = std::str::from_utf8(&sealed).unwrap();
    assert!(looks_sealed(text));
    let head = SealedView::parse(text).unwrap();
    assert_eq!(
        (head.id.as_str(), head.revision, head.status),
        (rec.id.as_str(), 12, Status::Completed)
    );
    let plain = head.open(&ids).unwrap();
    assert_eq!(plain.as_bytes(), rec.to_json_line());
    check_head(&head, &RecordView::parse(&plain).unwrap()).unwrap();
    // Sealing twice gives other bytes (fresh keys), the same record inside.
    let again = seal_record(&rec, &to);
    assert_ne!(again, sealed);
    let again = SealedView::parse(std::str::from_utf8(&again).unwrap()).unwrap();
    assert_eq!(again.open(&ids).unwrap(), plain);
}

#[test]
fn every_flipped_byte_of_the_sealed_part_is_refused() {
    let (ids, to) = pair();
    let sealed = String::from_utf8(seal_record(&record(), &to)).unwrap();
    let head = SealedView::parse(&sealed).unwrap();
    let raw = BASE64.decode(head.sealed.as_bytes()).unwrap();
    // Every byte of the age file, flipped one at a time: never opened, never a panic.
    for i in (0..raw.len()).step_by(3) {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        let b64 = BASE64.encode(&bad);
        let text = sealed.replace(head.sealed.as_str(), &b64);
        let h = SealedView::parse(&text).unwrap();
        match h.open(&ids) {
            Ok(_) => panic!("byte {i} flipped, still opened"),
            Err(Locked::Tampered(_) | Locked::Damaged(_) | Locked::OtherKeys) => {}
            Err(other) => panic!("byte {i}: {other:?}"),
        }
    }
    // The base64 itself damaged.
    let text = sealed.replacen("\"sealed\": \"", "\"sealed\": \"!", 1);
    assert!(matches!(
        SealedView::parse(&text).unwrap().open(&ids),
        Err(Locked::Damaged(_))
    ));
}

#[test]
fn a_wrong_key_and_no_key_are_told_apart() {
    let (_, to) = pair();
    let (other, _) = pair();
    let sealed = String::from_utf8(seal_record(&record(), &to)).unwrap();
    let head = SealedView::parse(&sealed).unwrap();
    assert_eq!(head.open(&other), Err(Locked::OtherKeys));
    assert_eq!(head.open(&Identities::default()), Err(Locked::NoIdentity));
    assert!(Locked::OtherKeys.wants_key() && Locked::NoIdentity.wants_key());
    assert!(!Locked::Tampered(String::new()).wants_key());
}

#[test]
fn several_recipients_each_open_it() {
    let (ids1, to1) = pair();
    let (ids2, to2) = pair();
    let both = to1.clone().union(&to2).union(&to1);
    assert_eq!(both.len(), 2);
    let sealed = String::from_utf8(seal_record(&record(), &both)).unwrap();
    let head = SealedView::parse(&sealed).unwrap();
    assert!(head.open(&ids1).is_ok());
    assert!(head.open(&ids2).is_ok());
}

#[test]
fn an_altered_head_is_refused() {
    let (ids, to) = pair();
    let sealed = String::from_utf8(seal_record(&record(), &to)).unwrap();
    for (from, to) in [
        ("\"revision\": 12", "\"revision\": 99"),
        ("\"device\": \"dev1\"", "\"device\": \"dev2\""),
        ("\"status\": \"completed\"", "\"status\": \"in_progress\""),
    ] {
        let text = sealed.replacen(from, to, 1);
        assert_ne!(text, sealed);
        let head = SealedView::parse(&text).unwrap();
        let plain = head.open(&ids).unwrap();
        let err = check_head(&head, &RecordView::parse(&plain).unwrap()).unwrap_err();
        assert!(matches!(&err, Locked::Tampered(m) if m.contains("altered")), "{err:?}");
    }
}

#[test]
fn key_files_are_checked_with_a_precise_message() {
    let k = keygen("2026-12-04T12:00:00Z");
    let secret_line = k.identity_file.lines().last().unwrap();
    assert!(secret_line.starts_with("AGE-SECRET-KEY-1"));
    assert!(!k.recipient_file.contains("AGE-SECRET"));
    let e = Recipients::parse("laptop.pub", secret_line).unwrap_err();
    assert!(e.starts_with("laptop.pub: this is a secret key"), "{e}");
    let e = Recipients::parse("r.txt", "# keys\nage1qqq\n").unwrap_err();
    assert!(
        e.starts_with("r.txt, line 2: `age1qqq` is not an age public key"),
        "{e}"
    );
    let e = Recipients::parse("r.txt", "# only a comment\n").unwrap_err();
    assert!(e.contains("no recipient"), "{e}");
    let mut ids = Identities::default();
    let e = ids.add_file("supervisor.pub", &k.recipient_file).unwrap_err();
    assert!(e.starts_with("supervisor.pub, line 3: this is a public key"), "{e}");
    let e = ids.add_file("notes.txt", "hello\n").unwrap_err();
    assert!(e.starts_with("notes.txt, line 1: not an age secret key"), "{e}");
    assert!(ids.is_empty());
}

#[test]
fn merge_outputs_seal_as_plain_age_files() {
    let (ids, to) = pair();
    let mut w = Sealer::new(Vec::new(), &to).unwrap();
    let data = "id,q1\n1,Да\n".repeat(20_000);
    w.write_all(data.as_bytes()).unwrap();
    let file = w.finish().unwrap();
    assert!(is_age_file(&file));
    assert!(!contains(&file, "Да".as_bytes()));
    assert_eq!(open_bytes(&file, &ids).unwrap(), data.as_bytes());
    assert!(!open_bytes(&file[..file.len() - 10], &ids).unwrap_err().wants_key());
}

#[test]
fn our_key_opens_exactly_what_ages_own_identity_opens() {
    // Files sealed by age to one, two and three recipients: our key (public key cached) and
    // age's x25519::Identity open the same ones, to the same bytes, and refuse the same ones.
    let pairs: Vec<KeyPair> = (0..3).map(|_| keygen("2026-12-04T12:00:00Z")).collect();
    for n in 1..=3 {
        let mut to = Recipients::default();
        for p in &pairs[..n] {
            to = to.union(&Recipients::parse("r", &p.recipient_file).unwrap());
        }
        let file = seal_bytes(b"{\"answers\": 1}", &to);
        for (i, p) in pairs.iter().enumerate() {
            let mut ours = Identities::default();
            ours.add_file("k", &p.identity_file).unwrap();
            let theirs: age::x25519::Identity = p.identity_file.lines().last().unwrap().parse().unwrap();
            let by_age = age::decrypt(&theirs, &file).ok();
            let by_us = open_bytes(&file, &ours).ok();
            assert_eq!(by_us, by_age, "{n} recipients, key {i}");
            assert_eq!(by_us.is_some(), i < n);
        }
    }
}
