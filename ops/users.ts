/**
 * The users contract (docs/pipeline.md) as the end-to-end proof and the benchmarks see it from outside:
 * the row a source user becomes in Cassandra, written from the contract rather than from the jobs' code,
 * so it is an independent oracle for them.
 */

/** What a valid source user must be in Cassandra, field by field (docs/pipeline.md), independently of the jobs' code. */
export function expectedRow(user: any): Record<string, string> {
  const l = user.location;
  return {
    id: user.login.uuid.toLowerCase(),
    first_name: user.name.first,
    last_name: user.name.last,
    gender: user.gender,
    address: `${l.street.number} ${l.street.name}, ${l.city}, ${l.state}, ${l.country}`,
    post_code: String(l.postcode),
    email: user.email,
    username: user.login.username,
    dob: user.dob.date,
    registered_date: user.registered.date,
    phone: user.phone,
    picture: user.picture.medium,
  };
}
