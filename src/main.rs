//! The `zhiyuan` command: serve (default), migrate, create-admin, export-openapi,
//! rotate-signing-key, verify-totals, import, seed-bench, disable-account, enable-account.

// The library forbids unsafe code; the binary has exactly one, documented exception.
#![deny(unsafe_code)]

mod progress;
mod seed;

use clap::{Parser, Subcommand};

// mimalloc: under many concurrent requests glibc's malloc spent a tenth of the CPU of a ledger
// page in its own bookkeeping (consolidation, unlinking); mimalloc's thread-local free lists
// took a ledger page from 7 000 to 8 300 requests a second on SQLite (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::progress::Progress;
use zhiyuan::config::Config;
use zhiyuan::server::{self, StartError};

#[derive(Parser)]
#[command(
    name = "zhiyuan",
    version,
    about = "Open backend of a city volunteer-service platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a federation admin account.
    CreateAdmin {
        /// Username (3–32 of a-z 0-9 _ . -) or mobile number.
        #[arg(long)]
        login: String,
        #[arg(long)]
        password: String,
    },
    /// Disable an account: it can no longer log in, and its sessions end at once on every
    /// instance (its access tokens are refused). Audited.
    DisableAccount {
        /// Username or mobile number.
        #[arg(long)]
        login: String,
    },
    /// Enable a disabled account again (it logs in anew). Audited.
    EnableAccount {
        #[arg(long)]
        login: String,
    },
    /// Print the OpenAPI document.
    ExportOpenapi,
    /// Import volunteers or service records from a spreadsheet (CSV, XLSX, XLS or ODS; headers
    /// as field names or in Chinese), as a federation admin, with a per-row report. Safe to run
    /// again: rows already imported are reported as such and not written twice.
    Import {
        #[arg(value_enum)]
        kind: ImportWhat,
        file: std::path::PathBuf,
        /// The report (CSV, one line per row); default: FILE with `.report.csv` appended.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
        /// The federation admin importing (username or mobile); default: the bootstrap admin of
        /// ZHIYUAN_BOOTSTRAP_ADMIN.
        #[arg(long = "as")]
        as_login: Option<String>,
    },
    /// Fill the database with a benchmark city (see bench/README.md).
    SeedBench {
        #[arg(long, default_value_t = 100_000)]
        volunteers: usize,
        #[arg(long, default_value_t = 500)]
        teams: usize,
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        #[arg(long, default_value_t = 0)]
        activities: usize,
        /// Write the ids of published activities open for sign-up here.
        #[arg(long)]
        activity_ids_out: Option<std::path::PathBuf>,
        /// Write access tokens of the first N volunteers here (see --tokens).
        #[arg(long)]
        tokens_out: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 0)]
        tokens: usize,
        /// Write the volunteer ids here, one per line (for the load generator).
        #[arg(long)]
        ids_out: Option<std::path::PathBuf>,
    },
    /// Sign credentials with a new Ed25519 key from now on (restart the server to use it); the
    /// old public key stays published, so everything it signed stays verifiable.
    RotateSigningKey,
    /// Write a consistent copy of the SQLite database to a new file, safe while the server runs
    /// (PostgreSQL: prints how to use pg_dump instead). Back up ZHIYUAN_FILES_DIR beside it.
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Replace the SQLite database's content with a backup, in one transaction (brought up to
    /// this version's migrations first). Stop the server first, or restart it after.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Check the audit log's hash chains: report every edited, deleted or inserted event and
    /// print each chain's head (keep them: a later run must still reach them). Exit status 1
    /// if a chain is broken.
    VerifyAudit,
    /// Recompute every total from the ledger and report differences (exit status 1 if any).
    VerifyTotals {
        /// Repair the stored totals to match the ledger.
        #[arg(long)]
        fix: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportWhat {
    Volunteers,
    ServiceRecords,
}

fn main() {
    let cli = Cli::parse();
    if let Some(Command::ExportOpenapi) = cli.command {
        print!("{}", zhiyuan::openapi::document_json());
        return;
    }
    let code = match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("zhiyuan: {e}");
            1
        }
    };
    exit_now(code)
}

/// Ends the process without the C library's exit handlers. The connection pool keeps
/// background threads that may be inside libpq (opening a spare connection) when a command
/// finishes; running libpq's and its TLS library's exit-time clean-up under them ended
/// `rotate-signing-key` and `create-admin` on PostgreSQL with SIGSEGV after their work was
/// done. Everything the process wrote is flushed first; the database has committed.
#[allow(unsafe_code)]
fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit only ends the process; nothing runs after it.
    unsafe { libc::_exit(code) }
}

/// One connection to the configured database, migrated (for commands that need no more).
fn one_connection(config: &Config) -> Result<zhiyuan::db::PooledConn, StartError> {
    let pool = zhiyuan::db::connect(
        &config.backend,
        &config.database_url,
        1,
        std::time::Duration::from_millis(config.db_timeout_ms),
    )?;
    pool.get()
        .map_err(|e| StartError(format!("cannot get a database connection: {e}")))
}

fn set_account_status(
    config: Config,
    login: &str,
    status: zhiyuan::meta::enums::AccountStatus,
) -> Result<(), StartError> {
    let state = server::prepare_without_bootstrap(config)?;
    let mut conn = state
        .pool
        .get()
        .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
    let failed = |e: zhiyuan::error::ApiError| StartError(e.detail.en.to_string());
    let account = zhiyuan::auth::service::find_by_login(&mut conn, login)
        .map_err(failed)?
        .ok_or_else(|| StartError(format!("no account with the login {login}")))?;
    zhiyuan::auth::service::set_account_status(&mut conn, &account.id, status).map_err(failed)?;
    println!("{login} ({}): {}", account.id, status.code());
    Ok(())
}

fn run(command: Command) -> Result<(), StartError> {
    let config = Config::from_env()?;
    server::init_tracing(&config);
    match command {
        Command::Serve => actix_web::rt::System::new().block_on(server::serve(config)),
        Command::Migrate => {
            zhiyuan::db::connect(
                &config.backend,
                &config.database_url,
                1,
                std::time::Duration::from_millis(config.db_timeout_ms),
            )?;
            println!("migrations applied");
            Ok(())
        }
        Command::Backup { to } => {
            let mut conn = one_connection(&config)?;
            let bytes = zhiyuan::db::backup::backup(&mut conn, &to)?;
            println!("backed up to {} ({bytes} bytes, checked)", to.display());
            Ok(())
        }
        Command::Restore { from } => {
            let mut conn = one_connection(&config)?;
            let tables = zhiyuan::db::backup::restore(&mut conn, &from)?;
            println!(
                "restored {tables} tables from {}; restart the server, then run verify-totals and verify-audit",
                from.display()
            );
            Ok(())
        }
        Command::DisableAccount { login } => set_account_status(
            config,
            &login,
            zhiyuan::meta::enums::AccountStatus::Disabled,
        ),
        Command::EnableAccount { login } => {
            set_account_status(config, &login, zhiyuan::meta::enums::AccountStatus::Active)
        }
        Command::CreateAdmin { login, password } => {
            let state = server::prepare_without_bootstrap(config)?;
            let mut conn = state
                .pool
                .get()
                .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
            let id = zhiyuan::auth::service::create_federation_admin(
                &mut conn,
                &state.passwords,
                &login,
                &password,
            )
            .map_err(|e| {
                let fields: Vec<String> = e
                    .errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message.en))
                    .collect();
                StartError(format!(
                    "cannot create the admin: {} {}",
                    e.detail.en,
                    fields.join("; ")
                ))
            })?;
            println!("created federation admin {login} ({id})");
            Ok(())
        }
        Command::RotateSigningKey => {
            // The current key is published first (a start does it too), so it is never lost
            // from the issuer's document, then replaced.
            let state = server::prepare_without_bootstrap(config)?;
            let old = state.signer.key_id().to_owned();
            let key = zhiyuan::secrets::rotate_signing_key(&state.config, &old)?;
            let signer = zhiyuan::issuer::Signer::new(
                key,
                &state.config.public_base_url,
                &state.config.federation_name,
            );
            let mut conn = state
                .pool
                .get()
                .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
            zhiyuan::issuer::service::publish(&mut conn, &signer)
                .map_err(|e| StartError(format!("cannot publish the new key: {e}")))?;
            println!(
                "signing with {} from the next start; {old} stays published for what it signed",
                signer.key_id()
            );
            Ok(())
        }
        Command::Import {
            kind,
            file,
            report,
            as_login,
        } => import_sheet(config, kind, &file, report, as_login),
        Command::VerifyAudit => {
            let state = server::prepare_without_bootstrap(config)?;
            let mut conn = state
                .pool
                .get()
                .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
            let report = zhiyuan::audit::chain::verify(&mut conn)
                .map_err(|e| StartError(format!("verify-audit failed: {}", e.detail.en)))?;
            for b in &report.breaks {
                println!("{b}");
            }
            for (segment, seq, hash) in &report.heads {
                println!("head {segment:>2}: link {seq} {hash}");
            }
            println!(
                "heads digest {}",
                zhiyuan::audit::chain::digest(&report.heads)
            );
            match report.breaks.len() {
                0 => {
                    println!(
                        "the audit log holds: {} events, every chain intact",
                        report.events
                    );
                    Ok(())
                }
                n => Err(StartError(format!(
                    "the audit log was changed behind the server's back: {n} {}",
                    if n == 1 { "break" } else { "breaks" }
                ))),
            }
        }
        Command::VerifyTotals { fix } => {
            let state = server::prepare_without_bootstrap(config)?;
            let mut conn = state
                .pool
                .get()
                .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
            let failed = |e: zhiyuan::error::ApiError| {
                StartError(format!("verify-totals failed: {}", e.detail.en))
            };
            // Six recounts, each over a whole table: a bar (or lines in a log) shows how far.
            let mut progress = Progress::new("verify-totals", 6);
            let mut differences: Vec<String> = zhiyuan::hours::totals::verify(&mut conn, fix)
                .map_err(failed)?
                .iter()
                .map(ToString::to_string)
                .collect();
            progress.set(1);
            differences.extend(
                zhiyuan::activities::signups::verify_counts(&mut conn, fix)
                    .map_err(failed)?
                    .iter()
                    .map(ToString::to_string),
            );
            progress.set(2);
            differences.extend(
                zhiyuan::certificates::service::verify_totals(&mut conn, fix).map_err(failed)?,
            );
            progress.set(3);
            differences.extend(
                zhiyuan::hours::totals::verify_aggregates(&mut conn, fix)
                    .map_err(failed)?
                    .iter()
                    .map(ToString::to_string),
            );
            progress.set(4);
            differences.extend(
                zhiyuan::teams::service::verify_subtree_members(&mut conn, fix)
                    .map_err(failed)?
                    .iter()
                    .map(ToString::to_string),
            );
            progress.set(5);
            differences.extend(
                zhiyuan::volunteers::service::verify_registered(&mut conn, fix)
                    .map_err(failed)?
                    .iter()
                    .map(ToString::to_string),
            );
            progress.set(6);
            progress.finish();
            for d in &differences {
                println!("{d}");
            }
            match (differences.len(), fix) {
                (0, _) => println!("all totals agree with the ledger"),
                (n, true) => println!("repaired {n} totals"),
                (n, false) => {
                    return Err(StartError(format!(
                        "{n} totals differ from the ledger; run verify-totals --fix to repair them"
                    )));
                }
            }
            Ok(())
        }
        Command::SeedBench {
            volunteers,
            teams,
            records,
            ids_out,
            activities,
            activity_ids_out,
            tokens_out,
            tokens,
        } => {
            let state = server::prepare_without_bootstrap(config)?;
            let mut conn = state
                .pool
                .get()
                .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
            let started = std::time::Instant::now();
            let plan = seed::SeedPlan {
                volunteers,
                teams: teams.max(zhiyuan::meta::towns::TOWNS.len() + 1),
                records,
                activities,
            };
            let seeded = seed::seed(&mut conn, &state.passwords, &state.pii, &plan)
                .map_err(|e| StartError(format!("seeding failed: {}", e.detail.en)))?;
            let write = |path: &std::path::Path, lines: &[String]| {
                std::fs::write(path, lines.join("\n") + "\n")
                    .map_err(|e| StartError(format!("cannot write {}: {e}", path.display())))
            };
            if let Some(path) = &activity_ids_out {
                write(path, &seeded.open_activity_ids)?;
            }
            if let Some(path) = &tokens_out {
                let roles = vec![zhiyuan::auth::tokens::RoleClaim {
                    role: zhiyuan::meta::enums::Role::Volunteer,
                    team_id: None,
                }];
                let minted: Vec<String> = seeded
                    .account_ids
                    .iter()
                    .take(tokens)
                    .map(|a| state.jwt.issue(a, roles.clone(), 0)) // new accounts: epoch 0
                    .collect();
                write(path, &minted)?;
            }
            if let Some(path) = ids_out {
                std::fs::write(&path, seeded.volunteer_ids.join("\n") + "\n")
                    .map_err(|e| StartError(format!("cannot write {}: {e}", path.display())))?;
            }
            println!(
                "seeded {volunteers} volunteers, {} teams, {records} service records in {:.1}s; admin {} / {}",
                seeded.team_ids.len(),
                started.elapsed().as_secs_f64(),
                seed::BENCH_ADMIN,
                seed::BENCH_PASSWORD
            );
            Ok(())
        }
        Command::ExportOpenapi => unreachable!("handled before configuration is read"),
    }
}

/// `zhiyuan import`: reads the sheet, imports it in batches with a progress bar, writes the
/// report, and says how it went (exit status 1 if any row was refused).
fn import_sheet(
    config: Config,
    what: ImportWhat,
    file: &std::path::Path,
    report: Option<std::path::PathBuf>,
    as_login: Option<String>,
) -> Result<(), StartError> {
    use zhiyuan::imports::sheet::{self, ImportKind};
    let kind = match what {
        ImportWhat::Volunteers => ImportKind::Volunteers,
        ImportWhat::ServiceRecords => ImportKind::ServiceRecords,
    };
    let login = as_login
        .or_else(|| {
            config
                .bootstrap_admin
                .as_ref()
                .map(|(login, _)| login.clone())
        })
        .ok_or_else(|| StartError("name the importing federation admin with --as".into()))?;
    let sheet = sheet::read(file, kind).map_err(StartError)?;
    if !sheet.ignored_columns.is_empty() {
        eprintln!("ignored columns: {}", sheet.ignored_columns.join(", "));
    }
    let state = server::prepare_without_bootstrap(config)?;
    let mut conn = state
        .pool
        .get()
        .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
    let failed =
        |e: zhiyuan::error::ApiError| StartError(format!("import failed: {}", e.detail.en));
    let account = zhiyuan::auth::service::find_by_login(&mut conn, &login)
        .map_err(failed)?
        .ok_or_else(|| StartError(format!("no account {login}")))?;
    let actor = zhiyuan::auth::policy::Actor::of_account(&mut conn, &account.id).map_err(failed)?;
    let deps = zhiyuan::imports::service::ImportDeps {
        pii: &state.pii,
        privacy_notice_version: &state.config.privacy_notice_version,
        rounding: state.config.rounding_policy,
    };
    let total = sheet.rows.len();
    let mut progress = Progress::new("import", total as u64);
    let outcomes = sheet::import(&mut conn, &deps, &actor, kind, sheet.rows, |done| {
        progress.set(done as u64)
    })
    .map_err(failed)?;
    progress.finish();
    let created = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o.outcome,
                zhiyuan::imports::service::RowOutcome::Accepted { created: true, .. }
            )
        })
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o.outcome,
                zhiyuan::imports::service::RowOutcome::Rejected(_)
            )
        })
        .count();
    let report = report.unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".report.csv");
        name.into()
    });
    sheet::write_report(&report, outcomes).map_err(StartError)?;
    println!(
        "{total} rows: {created} created, {} already there, {refused} refused; report: {}",
        total - created - refused,
        report.display()
    );
    if refused > 0 {
        return Err(StartError(format!(
            "{refused} rows were refused (see the report)"
        )));
    }
    Ok(())
}
