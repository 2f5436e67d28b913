/**
 * The users contract (docs/pipeline.md) as the end-to-end proof and the benchmarks see it from outside:
 * the row a source user becomes in Cassandra, written from the contract rather than from the jobs' code,
 * so it is an independent oracle for them.
 */

/** The fields of a randomuser.me user that the contract reads. */
export interface SourceUser {
  readonly login: { readonly uuid: string; readonly username: string };
  readonly name: { readonly first: string; readonly last: string };
  readonly gender: string;
  readonly location: {
    readonly street: { readonly number: number; readonly name: string };
    readonly city: string;
    readonly state: string;
    readonly country: string;
    /** A number for some countries, a string for others. */
    readonly postcode: number | string;
  };
  readonly email: string;
  readonly dob: { readonly date: string };
  readonly registered: { readonly date: string };
  readonly phone: string;
  readonly picture: { readonly medium: string };
}

/** What a valid source user must be in Cassandra, field by field. */
export function expectedRow(user: SourceUser): Record<string, string> {
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
