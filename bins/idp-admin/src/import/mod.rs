//! `idp-admin import nextcloud-oidc|nextcloud-oauth2|owncloud-oauth2 SOURCE`: registers
//! the clients of another provider here, with the same ids, so a self-hoster switches
//! providers without registering every application again (docs/migrating.md).
//!
//! Each app module reads its tables (or the JSON export of them) into the same rows and
//! maps them to [`Candidate`]s with one function; this module plans what changes,
//! checks everything before writing anything, and writes through `idp_protocol::manage`
//! so every rule of `client create`/`client update` applies.

mod nextcloud_oauth2;
mod nextcloud_oidc;
mod owncloud_oauth2;
mod plan;
mod source;

use clap::ValueEnum;
use idp_protocol::KeyEncryptionKey;
use idp_store::DieselStore;

use crate::output::Report;
use crate::Failure;

pub(crate) use plan::Candidate;

/// The application clients are imported from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum App {
    /// Nextcloud's `oidc` app (OpenID Connect provider, H2CK/oidc).
    NextcloudOidc,
    /// Nextcloud server's built-in `oauth2` app.
    NextcloudOauth2,
    /// ownCloud's `oauth2` app.
    OwncloudOauth2,
}

impl App {
    fn as_str(self) -> &'static str {
        match self {
            App::NextcloudOidc => "nextcloud-oidc",
            App::NextcloudOauth2 => "nextcloud-oauth2",
            App::OwncloudOauth2 => "owncloud-oauth2",
        }
    }
}

/// `import` options.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// Which application's clients.
    #[arg(value_enum)]
    app: App,
    /// The application's database (`sqlite://PATH`, a path, or `postgres://…`; opened
    /// read-only), or a `.json` file made with the query in docs/migrating.md.
    source: String,
    /// Print what would be created or updated, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Prefix of the application's tables (Nextcloud's and ownCloud's `dbtableprefix`).
    #[arg(long, default_value = "oc_", value_name = "PREFIX")]
    table_prefix: String,
}

/// What an app module read: a candidate per client, or why a client cannot be imported,
/// and remarks about the whole source.
pub(crate) struct Read {
    /// One entry per client of the source, in its order.
    pub(crate) clients: Vec<Result<Candidate, plan::Skipped>>,
    /// Remarks that concern no single client.
    pub(crate) warnings: Vec<String>,
}

/// Runs the import.
pub(crate) fn run(
    store: &DieselStore,
    args: &ImportArgs,
    kek: impl Fn() -> Option<KeyEncryptionKey>,
) -> Result<Report, Failure> {
    source::check_prefix(&args.table_prefix)?;
    let source = source::Source::open(&args.source)?;
    let read = match args.app {
        App::NextcloudOidc => nextcloud_oidc::read(source, &args.table_prefix)?,
        App::NextcloudOauth2 => nextcloud_oauth2::read(source, &args.table_prefix)?,
        App::OwncloudOauth2 => owncloud_oauth2::read(source, &args.table_prefix)?,
    };
    let plan = plan::Plan::make(store, read)?;
    let outcome = if args.dry_run {
        plan.outcome_without_writing()
    } else {
        plan.apply(store, kek)?
    };
    Ok(outcome.report(args.app.as_str(), args.dry_run))
}
