import { adminDsn, databaseName, redactDsn } from '../../jobs/lib/dsn';

describe('redactDsn', () => {
  it('replaces the password in the user info', () => {
    expect(redactDsn('postgresql://pipeline:s3cret@postgres:5432/pipeline')).toBe('postgresql://pipeline:***@postgres:5432/pipeline');
  });

  it('replaces an encoded password with special characters', () => {
    const redacted = redactDsn('postgres://pipeline:p%40ss%3Aw0rd@postgres/pipeline');
    expect(redacted).toBe('postgres://pipeline:***@postgres/pipeline');
  });

  it('replaces password and sslpassword query parameters and keeps the others', () => {
    const redacted = redactDsn('postgresql://pipeline@postgres/pipeline?sslmode=require&password=s3cret&sslpassword=k3y');
    expect(redacted).toBe('postgresql://pipeline@postgres/pipeline?sslmode=require&password=***&sslpassword=***');
  });

  it('leaves a DSN without a password unchanged', () => {
    expect(redactDsn('postgresql://pipeline@postgres:5432/pipeline')).toBe('postgresql://pipeline@postgres:5432/pipeline');
  });

  it('shows nothing of a DSN it cannot parse', () => {
    expect(redactDsn('host=postgres password=s3cret')).toBe('<unparseable DSN>');
  });
});

describe('adminDsn', () => {
  it('keeps server, user, password and options but connects to the postgres database', () => {
    expect(adminDsn('postgresql://pipeline:s3cret@postgres:5432/pipeline?sslmode=disable')).toBe(
      'postgresql://pipeline:s3cret@postgres:5432/postgres?sslmode=disable',
    );
  });

  it('works without a port', () => {
    expect(adminDsn('postgres://u:p@db/pipeline')).toBe('postgres://u:p@db/postgres');
  });
});

describe('databaseName', () => {
  it('is the decoded path of the DSN', () => {
    expect(databaseName('postgresql://u:p@db:5432/pipeline')).toBe('pipeline');
    expect(databaseName('postgresql://u:p@db:5432/my%20db?sslmode=disable')).toBe('my db');
  });
});
