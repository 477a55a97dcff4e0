"""A failure in one line: the error the pipeline's own code raised, without Dagster's wrapper."""

from segmentation_pipeline.core.failures import error_line

STEP_WRAPPER = (
    "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "
    '"crm_accounts"::\n'
)


def test_the_projects_own_error_is_its_message_alone():
    chain = [
        STEP_WRAPPER,
        "segmentation_pipeline.io.crm.CrmError: /crm/accounts.csv: file not found\n",
    ]
    assert error_line(chain) == "/crm/accounts.csv: file not found"


def test_another_error_keeps_its_class_name_without_the_module():
    chain = [STEP_WRAPPER, "sqlalchemy.exc.OperationalError: (sqlite3) database is locked\n"]
    assert error_line(chain) == "OperationalError: (sqlite3) database is locked"
    assert error_line([STEP_WRAPPER, "KeyError: 'arr'\n"]) == "KeyError: 'arr'"


def test_the_outermost_error_outside_dagster_wins_over_its_causes():
    chain = [
        STEP_WRAPPER,
        "segmentation_pipeline.io.crm.CrmError: /crm/accounts.csv: unreadable\n",
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff\n",
    ]
    assert error_line(chain) == "/crm/accounts.csv: unreadable"


def test_a_chain_of_dagster_errors_only_ends_with_the_innermost_on_one_line():
    chain = [
        "dagster._core.errors.DagsterError: outer\n",
        "dagster._core.errors.Inner: line one\nline two",
    ]
    assert error_line(chain) == "Inner: line one line two"


def test_a_database_error_keeps_the_drivers_message_not_the_statement_or_its_values():
    """The rows a failed statement carried are account data: they have no place in a
    Slack alert."""
    chain = [
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) attempt to write a "
        "readonly database\n[SQL: INSERT INTO segment_history (account_id, name) VALUES "
        "(?, ?)]\n[parameters: ('001A', 'Acme Secret Project')]\n(Background on this error "
        "at: https://sqlalche.me/e/20/e3q8)"
    ]
    assert error_line(chain) == (
        "OperationalError: (sqlite3.OperationalError) attempt to write a readonly database"
    )


def test_a_run_stopped_with_ctrl_c_says_it_was_interrupted_not_dagsters_class_path():
    """Dagster fails the step it stopped with an error that has a class and no message."""
    interrupted = "interrupted (Ctrl-C or a stop signal) before the step finished"
    assert error_line(["dagster._core.errors.DagsterExecutionInterruptedError\n"]) == interrupted
    assert error_line([STEP_WRAPPER, "KeyboardInterrupt\n"]) == interrupted


def test_an_error_whose_message_only_mentions_an_interruption_is_not_one():
    chain = [STEP_WRAPPER, "ValueError: KeyboardInterrupt is not a valid tier\n"]
    assert error_line(chain) == "ValueError: KeyboardInterrupt is not a valid tier"


def test_a_long_message_is_cut_and_marked():
    line = error_line(["ValueError: " + "x" * 500], limit=40)
    assert len(line) == 40 and line.endswith("...")


def test_no_error_at_all_says_so():
    assert error_line([]) == "unknown error"
