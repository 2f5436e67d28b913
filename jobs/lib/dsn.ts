/** PostgreSQL connection URLs (postgresql://user:password@host:port/database?options). */

const SECRET_PARAMS = ['password', 'sslpassword'];

/** The DSN with its password (in the user info or the query) replaced, safe to log. */
export function redactDsn(dsn: string): string {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    // Cannot tell which part is the password, so show none of it.
    return '<unparseable DSN>';
  }
  if (url.password) url.password = '***';
  for (const name of SECRET_PARAMS) {
    if (url.searchParams.has(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}

/** The database a DSN connects to. */
export function databaseName(dsn: string): string {
  return decodeURIComponent(new URL(dsn).pathname.slice(1));
}

/**
 * The same server, user and options, but the `postgres` maintenance database: the one a client can reach
 * before the pipeline's database exists, to create it.
 */
export function adminDsn(dsn: string): string {
  const url = new URL(dsn);
  url.pathname = '/postgres';
  return url.toString();
}
