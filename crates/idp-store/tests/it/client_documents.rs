//! Clients described by Client ID Metadata Documents: stored as client rows with a cache
//! record beside them, replaced on refetch, purged once expired and unreferenced.

use idp_core::{
    ClientDocumentRecord, ClientDocumentRepo, ClientId, ClientRepo, ClientType, CoreError,
    DocumentedClient, MaintenanceRepo, PurgeBefore, Subject, TokenRepo,
};

use crate::fixtures::{grant, tokens};
use crate::{fresh_store, t};

fn document_client(url: &str, name: &str) -> idp_core::Client {
    let mut c = crate::clients::client(url);
    c.name = name.into();
    c.client_type = ClientType::Public;
    c.secret_digest = None;
    c.options.metadata_document = Some(DocumentedClient {
        client_uri: Some("https://app.example/".into()),
        logo_uri: None,
    });
    c
}

fn record(fetched: i64, expires: i64) -> ClientDocumentRecord {
    ClientDocumentRecord {
        fetched_at: t(fetched),
        expires_at: t(expires),
    }
}

fn documents_are_stored_replaced_and_never_overwrite_other_clients() {
    let (store, _db) = fresh_store();
    let url = "https://app.example/client.json";
    let id = ClientId::new(url);
    assert_eq!(store.client_document(&id).unwrap(), None);
    store
        .store_client_document(&document_client(url, "First"), &record(0, 60))
        .unwrap();
    assert_eq!(store.client_document(&id).unwrap(), Some(record(0, 60)));
    let found = store.client(&id).unwrap().unwrap();
    assert_eq!(found.name, "First");
    assert_eq!(found.client_type, ClientType::Public);
    assert!(found.options.metadata_document.is_some());

    // A refetch replaces what the document says and the record.
    store
        .store_client_document(&document_client(url, "Second"), &record(100, 700))
        .unwrap();
    assert_eq!(store.client_document(&id).unwrap(), Some(record(100, 700)));
    assert_eq!(store.client(&id).unwrap().unwrap().name, "Second");

    // An ordinary client with the same id is never overwritten.
    crate::clients::insert_client(&store, "c1");
    let err = store
        .store_client_document(&document_client("c1", "Impostor"), &record(0, 60))
        .unwrap_err();
    assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        store.client(&ClientId::new("c1")).unwrap().unwrap().name,
        "App"
    );
    assert_eq!(store.client_document(&ClientId::new("c1")).unwrap(), None);
}

fn expired_documents_go_once_nothing_references_their_client() {
    let (store, _db) = fresh_store();
    let used = "https://used.example/c";
    let unused = "https://unused.example/c";
    let fresh = "https://fresh.example/c";
    for (url, expires) in [(used, 50), (unused, 50), (fresh, 500)] {
        store
            .store_client_document(&document_client(url, "App"), &record(0, expires))
            .unwrap();
    }
    let mut g = grant("g1", Subject::Client(ClientId::new(used)));
    g.client_id = ClientId::new(used);
    store
        .insert_grant_with_issued_tokens(&g, &tokens("a1", Some("r1"), "g1"))
        .unwrap();
    store
        .purge_expired(&PurgeBefore {
            now: t(100),
            codes: t(0),
            used_refresh_tokens: t(0),
            failures: t(0),
        })
        .unwrap();
    // Its refresh token still needs the client: kept (and refetched on its next use).
    assert!(store.client(&ClientId::new(used)).unwrap().is_some());
    assert!(store
        .client_document(&ClientId::new(used))
        .unwrap()
        .is_some());
    // Expired and unreferenced: gone with its record.
    assert!(store.client(&ClientId::new(unused)).unwrap().is_none());
    assert_eq!(store.client_document(&ClientId::new(unused)).unwrap(), None);
    // Not yet expired: kept.
    assert!(store.client(&ClientId::new(fresh)).unwrap().is_some());
}

idp_testdb::on_both_backends!(
    documents_are_stored_replaced_and_never_overwrite_other_clients,
    expired_documents_go_once_nothing_references_their_client,
);
