import re

import pytest
from pipeline_contract import ConfigError
from stream_config import (
    KAFKA_PASSWORD_CONF,
    KAFKA_USERNAME_CONF,
    REGISTRY_PASSWORD_KEY,
    REGISTRY_USERNAME_KEY,
    kafka_login_options,
    load_stream_config,
    registry_login,
)

REQUIRED = {
    "PIPELINE_KAFKA_BOOTSTRAP_SERVERS": "broker:29092",
    "PIPELINE_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
    "PIPELINE_CASSANDRA_CONTACT_POINTS": "cassandra:9042",
}


def test_defaults_are_the_contract_ones():
    config = load_stream_config(REQUIRED)

    assert (config.topic, config.dlq_topic, config.value_subject) == (
        "users_created",
        "users_created.dlq",
        "users_created-value",
    )
    assert (config.cassandra_keyspace, config.cassandra_table) == ("spark_streams", "created_users")
    assert config.checkpoint_dir == "/checkpoints/users_created/spark_streams.created_users"
    assert (config.trigger_milliseconds, config.max_offsets_per_trigger, config.starting_offsets) == (
        1000,
        50000,
        "earliest",
    )


@pytest.mark.parametrize(
    "changed, checkpoint",
    [
        ({"PIPELINE_TOPIC": "signups"}, "/checkpoints/signups/spark_streams.created_users"),
        ({"PIPELINE_CASSANDRA_KEYSPACE": "ks2"}, "/checkpoints/users_created/ks2.created_users"),
        ({"PIPELINE_CASSANDRA_TABLE": "users_v2"}, "/checkpoints/users_created/spark_streams.users_v2"),
        ({"PIPELINE_CHECKPOINT_DIR": "/checkpoints/mine"}, "/checkpoints/mine"),
    ],
)
def test_the_checkpoint_follows_the_streams_output_unless_it_is_set(changed, checkpoint):
    # A stream pointed at a new table must not resume from the offsets another table was filled up to.
    assert load_stream_config({**REQUIRED, **changed}).checkpoint_dir == checkpoint


def test_the_dead_letter_topic_follows_the_topic_unless_it_is_set():
    config = load_stream_config({**REQUIRED, "PIPELINE_TOPIC": "signups"})

    assert (config.dlq_topic, config.value_subject) == ("signups.dlq", "signups-value")


def test_one_contact_point_sets_the_connector_host_and_port():
    assert load_stream_config(REQUIRED).cassandra_spark_conf() == {
        "spark.cassandra.connection.host": "cassandra:9042",
        "spark.cassandra.connection.port": "9042",
        "spark.cassandra.output.concurrent.writes": "64",
        "spark.cassandra.output.consistency.level": "LOCAL_ONE",
        "spark.cassandra.input.consistency.level": "LOCAL_ONE",
    }


def test_the_connector_writes_and_reads_at_the_pipelines_consistency_level():
    env = {**REQUIRED, "PIPELINE_CASSANDRA_CONSISTENCY": "LOCAL_QUORUM"}
    conf = load_stream_config(env).cassandra_spark_conf()

    assert conf["spark.cassandra.output.consistency.level"] == "LOCAL_QUORUM"
    assert conf["spark.cassandra.input.consistency.level"] == "LOCAL_QUORUM"


def test_several_contact_points_keep_their_own_ports():
    config = load_stream_config({**REQUIRED, "PIPELINE_CASSANDRA_CONTACT_POINTS": "c1:9042, c2:9043"})

    assert config.cassandra_contact_points == (("c1", 9042), ("c2", 9043))
    assert config.cassandra_spark_conf()["spark.cassandra.connection.host"] == "c1:9042,c2:9043"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_required_variable_is_named_when_missing(name):
    with pytest.raises(ConfigError, match=f"^{name} is required"):
        load_stream_config({k: v for k, v in REQUIRED.items() if k != name})


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("PIPELINE_CASSANDRA_CONTACT_POINTS", "cassandra", "must be host:port[,host:port]"),
        ("PIPELINE_CASSANDRA_CONTACT_POINTS", "cassandra:cql", "must be host:port[,host:port]"),
        ("PIPELINE_CASSANDRA_CONTACT_POINTS", "c1:9042,", "must be host:port[,host:port]"),
        ("PIPELINE_CASSANDRA_CONTACT_POINTS", ":9042", "must be host:port[,host:port]"),
        ("PIPELINE_CASSANDRA_CONTACT_POINTS", "c1:70000", "must be host:port[,host:port]"),
        ("PIPELINE_TRIGGER_SECONDS", "0", "must be seconds in tenths from 0.1"),
        ("PIPELINE_TRIGGER_SECONDS", "0.25", "must be seconds in tenths from 0.1"),
        ("PIPELINE_TRIGGER_SECONDS", "5s", "must be seconds in tenths from 0.1"),
        ("PIPELINE_MAX_OFFSETS_PER_TRIGGER", "-5", "must be >= 1"),
        ("PIPELINE_STARTING_OFFSETS", "beginning", "must be earliest, latest or a JSON object"),
        ("PIPELINE_STARTING_OFFSETS", "[1]", "must be earliest, latest or a JSON object"),
        ("PIPELINE_SCHEMA_REGISTRY_URL", "schema-registry:8081", "must be an http(s) URL"),
        ("PIPELINE_CASSANDRA_CONSISTENCY", "EACH_QUORUM", "must be one of ONE, TWO, THREE, QUORUM, ALL"),
        ("PIPELINE_CASSANDRA_CONSISTENCY", "local_quorum", "must be one of ONE, TWO, THREE, QUORUM, ALL"),
    ],
)
def test_malformed_values_are_named(name, value, message):
    with pytest.raises(ConfigError, match=re.escape(f"{name} {message}")):
        load_stream_config({**REQUIRED, name: value})


def test_a_trigger_below_a_second_is_kept_in_milliseconds():
    assert load_stream_config({**REQUIRED, "PIPELINE_TRIGGER_SECONDS": "0.5"}).trigger_milliseconds == 500


@pytest.mark.parametrize("offsets", ["latest", '{"users_created": {"0": 42, "1": -2}}'])
def test_starting_offsets_accepts_what_spark_accepts(offsets):
    assert load_stream_config({**REQUIRED, "PIPELINE_STARTING_OFFSETS": offsets}).starting_offsets == offsets


def test_the_registry_login_is_read_from_the_spark_configuration():
    conf = {REGISTRY_USERNAME_KEY: "reader", REGISTRY_PASSWORD_KEY: "registry-s3cret"}

    assert registry_login(conf) == ("reader", "registry-s3cret")


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({REGISTRY_PASSWORD_KEY: "x"}, f"{REGISTRY_USERNAME_KEY} is required in the job's properties"),
        ({REGISTRY_USERNAME_KEY: "reader"}, f"{REGISTRY_PASSWORD_KEY} is required in the job's properties"),
        (
            {REGISTRY_USERNAME_KEY: "a:b", REGISTRY_PASSWORD_KEY: "x"},
            f"{REGISTRY_USERNAME_KEY} must not contain",
        ),
    ],
)
def test_a_missing_or_malformed_registry_login_names_its_key(conf, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        registry_login(conf)


def test_the_kafka_login_comes_from_the_spark_configuration():
    options = kafka_login_options({KAFKA_USERNAME_CONF: "stream", KAFKA_PASSWORD_CONF: "Abc123def456"})

    assert options == {
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="stream" password="Abc123def456";',
    }


@pytest.mark.parametrize(
    "conf, named",
    [
        ({}, KAFKA_USERNAME_CONF),
        ({KAFKA_USERNAME_CONF: 'x" y'}, KAFKA_USERNAME_CONF),
        ({KAFKA_USERNAME_CONF: "stream"}, KAFKA_PASSWORD_CONF),
        ({KAFKA_USERNAME_CONF: "stream", KAFKA_PASSWORD_CONF: 'pw";evil'}, KAFKA_PASSWORD_CONF),
    ],
)
def test_a_missing_or_malformed_kafka_login_is_named_without_the_password(conf, named):
    with pytest.raises(ConfigError, match=f"^{re.escape(named)}") as error:
        kafka_login_options(conf)
    assert "evil" not in str(error.value)
