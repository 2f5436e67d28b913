#!/usr/bin/env bash
# /docker-entrypoint-initdb.d hook of the PostgreSQL container: on a new cluster, the image's entrypoint
# sources it (it is not executable for postgres) with its first-start server on the unix socket, so it
# neither sets shell options nor execs; the roles, databases and passwords are applied as
# postgres-start.sh applies them on an existing cluster, and a failure stops the initialisation.
bash /opt/kafka-pipelining/postgres-start.sh --apply-roles
