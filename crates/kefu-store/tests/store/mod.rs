mod attachments;
mod canned;
mod conversations;
mod customers;
mod events;
mod knowledge;
mod mail;
mod report_schedules;
mod rollups;
mod scenarios;
mod tenancy;
mod tickets;
mod users;
mod webhooks;

use kefu_store::testing::TestDatabase;
use kefu_store::{Actor, Store, Tenant, TenantSettings};

pub struct Fixture {
    pub store: Store,
    pub tenant: Tenant,
    _db: TestDatabase,
}

impl Fixture {
    /// The database's URL, for tests that write with SQL of their own.
    pub fn url(&self) -> &str {
        &self._db.url
    }
}

pub async fn fixture() -> Fixture {
    let db = TestDatabase::create().await.expect("create test database");
    let store = db.store().await.expect("migrate");
    let tenant = store
        .create_tenant("acme", "Acme", &TenantSettings::default(), &Actor::system())
        .await
        .unwrap();
    Fixture {
        store,
        tenant,
        _db: db,
    }
}

pub fn actor() -> Actor {
    Actor::system()
}
