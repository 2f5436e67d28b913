import re

import pytest
from pipeline.config import load_dag_config, load_task_config
from pipeline_contract import ConfigError

REQUIRED = {
    "PIPELINE_PG_DSN": "postgresql://pipeline:s3cret@db/pipeline",
    "PIPELINE_KAFKA_BOOTSTRAP_SERVERS": "broker:29092",
    "PIPELINE_KAFKA_USERNAME": "producer",
    "PIPELINE_KAFKA_PASSWORD": "kafka-s3cret",
    "PIPELINE_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
    "PIPELINE_SCHEMA_REGISTRY_USERNAME": "reader",
    "PIPELINE_SCHEMA_REGISTRY_PASSWORD": "registry-s3cret",
}


def test_defaults_are_the_contract_ones():
    dag = load_dag_config({})
    tasks = load_task_config(REQUIRED)

    assert (dag.batch_size, dag.schedule, dag.retry_delay_seconds) == (100, "@hourly", 30)
    assert tasks.source_url == "https://randomuser.me/api/"
    assert (tasks.http_timeout_seconds, tasks.http_retries) == (10.0, 5)
    assert (tasks.topic, tasks.dlq_topic) == ("users_created", "users_created.dlq")
    assert tasks.max_field_length == 1000


def test_values_are_read_from_the_environment():
    env = {
        **REQUIRED,
        "PIPELINE_BATCH_SIZE": "25",
        "PIPELINE_SCHEDULE": "*/5 * * * *",
        "PIPELINE_HTTP_TIMEOUT_SECONDS": "2.5",
        "PIPELINE_HTTP_RETRIES": "0",
        "PIPELINE_RETRY_DELAY_SECONDS": "5",
        "PIPELINE_TOPIC": "t",
        "PIPELINE_DLQ_TOPIC": "t.dlq",
        "PIPELINE_MAX_FIELD_LENGTH": "250",
    }
    dag = load_dag_config(env)
    tasks = load_task_config(env)

    assert (dag.batch_size, dag.schedule, dag.retry_delay_seconds) == (25, "*/5 * * * *", 5)
    assert (tasks.http_timeout_seconds, tasks.http_retries) == (2.5, 0)
    assert (tasks.topic, tasks.dlq_topic) == ("t", "t.dlq")
    assert tasks.max_field_length == 250
    assert tasks.pg_dsn == REQUIRED["PIPELINE_PG_DSN"]


def test_the_dag_file_needs_no_service_address():
    # The dag-processor parses the file without the tasks' variables: it gets none of them.
    assert load_dag_config({}).schedule == "@hourly"


def test_the_dead_letter_topic_follows_the_topic_unless_it_is_set():
    assert load_task_config({**REQUIRED, "PIPELINE_TOPIC": "signups"}).dlq_topic == "signups.dlq"


@pytest.mark.parametrize("value", ["none", "None", "NONE"])
def test_schedule_none_means_manual_runs_only(value):
    assert load_dag_config({"PIPELINE_SCHEDULE": value}).schedule is None


@pytest.mark.parametrize("name", sorted(REQUIRED))
@pytest.mark.parametrize("value", [None, "", "   "])
def test_each_required_variable_is_named_when_missing(name, value):
    env = {k: v for k, v in REQUIRED.items() if k != name}
    if value is not None:
        env[name] = value

    with pytest.raises(ConfigError, match=f"^{name} is required"):
        load_task_config(env)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("PIPELINE_BATCH_SIZE", "ten", "must be an integer"),
        ("PIPELINE_BATCH_SIZE", "0", "must be >= 1 and <= 5000"),
        ("PIPELINE_BATCH_SIZE", "5001", "must be >= 1 and <= 5000"),
        ("PIPELINE_RETRY_DELAY_SECONDS", "0", "must be >= 1 and <= 3600"),
    ],
)
def test_malformed_dag_file_values_are_named(name, value, message):
    with pytest.raises(ConfigError, match=re.escape(f"{name} {message}")):
        load_dag_config({name: value})


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("PIPELINE_HTTP_RETRIES", "-1", "must be >= 0"),
        ("PIPELINE_MAX_FIELD_LENGTH", "35", "must be >= 36 and <= 20000"),
        ("PIPELINE_MAX_FIELD_LENGTH", "20001", "must be >= 36 and <= 20000"),
        ("PIPELINE_HTTP_TIMEOUT_SECONDS", "0", "must be > 0"),
        ("PIPELINE_HTTP_TIMEOUT_SECONDS", "soon", "must be a number"),
        ("PIPELINE_SOURCE_URL", "randomuser.me/api", "must be an http(s) URL"),
        ("PIPELINE_SCHEMA_REGISTRY_URL", "ftp://registry", "must be an http(s) URL"),
    ],
)
def test_malformed_task_values_are_named(name, value, message):
    with pytest.raises(ConfigError, match=re.escape(f"{name} {message}")):
        load_task_config({**REQUIRED, name: value})


def test_the_dsn_never_appears_in_repr_or_errors():
    config = load_task_config(REQUIRED)

    assert "s3cret" not in repr(config)
    with pytest.raises(ConfigError) as error:
        load_task_config({**REQUIRED, "PIPELINE_SCHEMA_REGISTRY_URL": "user:s3cret@registry"})
    assert "s3cret" not in str(error.value)


def test_the_registry_login_goes_into_the_url_escaped_and_never_into_repr():
    config = load_task_config({**REQUIRED, "PIPELINE_SCHEMA_REGISTRY_PASSWORD": "p@ss/word"})

    assert config.schema_registry_url == "http://reader:p%40ss%2Fword@schema-registry:8081"
    assert "p%40ss" not in repr(config)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PIPELINE_SCHEMA_REGISTRY_USERNAME", "", "is required but not set"),
        ("PIPELINE_SCHEMA_REGISTRY_USERNAME", "a:b", "must not contain ':'"),
        ("PIPELINE_SCHEMA_REGISTRY_PASSWORD", " ", "is required but not set"),
    ],
)
def test_a_missing_or_malformed_registry_login_is_named(name, value, message):
    with pytest.raises(ConfigError, match=f"^{name} {message}"):
        load_task_config({**REQUIRED, name: value})


def test_the_kafka_login_is_read_and_its_password_never_shown():
    config = load_task_config(REQUIRED)

    assert (config.kafka_username, config.kafka_password) == ("producer", "kafka-s3cret")
    assert "kafka-s3cret" not in repr(config)


def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path):
    (tmp_path / "kafka").write_text("from-a-file\n", encoding="utf-8")
    env = {key: value for key, value in REQUIRED.items() if key != "PIPELINE_KAFKA_PASSWORD"}

    tasks = load_task_config({**env, "PIPELINE_KAFKA_PASSWORD_FILE": str(tmp_path / "kafka")})

    assert tasks.kafka_password == "from-a-file"
    # The variable itself wins over its file.
    both = load_task_config({**REQUIRED, "PIPELINE_KAFKA_PASSWORD_FILE": str(tmp_path / "kafka")})
    assert both.kafka_password == "kafka-s3cret"


def test_an_unreadable_secret_file_is_named_in_the_error(tmp_path):
    env = {key: value for key, value in REQUIRED.items() if key != "PIPELINE_KAFKA_PASSWORD"}
    missing = tmp_path / "missing"

    expected = f"PIPELINE_KAFKA_PASSWORD_FILE names {missing}, which cannot be read"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_task_config({**env, "PIPELINE_KAFKA_PASSWORD_FILE": str(missing)})
