-- Included by postgres-roles.sql in each of the platform's databases: every object of the database's own
-- schemas that another role owns (the superuser, on a cluster from before the roles per purpose) goes to
-- the role named by the setting kp.owner, the database's owner. Extensions' objects are left to them.
-- Tables first: their sequences, indexes and row types follow them.
DO $adopt$
DECLARE
  new_owner regrole := current_setting('kp.owner')::regrole;
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER SCHEMA %I OWNER TO %s', n.nspname, new_owner)
      FROM pg_namespace n
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        AND n.nspowner NOT IN (new_owner, 'pg_database_owner'::regrole)
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
  FOR statement IN
    SELECT format('ALTER %s %s OWNER TO %s',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                  c.oid::regclass, new_owner)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner <> new_owner
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
  -- Sequences no table owns (those of serial and identity columns moved with their table above).
  FOR statement IN
    SELECT format('ALTER SEQUENCE %s OWNER TO %s', c.oid::regclass, new_owner)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        AND c.relkind = 'S' AND c.relowner <> new_owner
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
  LOOP
    EXECUTE statement;
  END LOOP;
  -- Enums, domains, ranges and stand-alone composite types (array and table row types follow their type or table).
  FOR statement IN
    SELECT format('ALTER %s %s OWNER TO %s', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype, new_owner)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typowner <> new_owner
        AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
  FOR statement IN
    SELECT format('ALTER ROUTINE %s OWNER TO %s', p.oid::regprocedure, new_owner)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND p.proowner <> new_owner
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END
$adopt$;
