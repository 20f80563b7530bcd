"""District IT's side of the privacy promises: opt-outs and a student's disclosure history from
the command line, against the same store the API serves."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.cli import main

V12 = "/ims/oneroster/rostering/v1p2"


def _cli(database_url, tmp_path, *args):  # noqa: ANN001, ANN202
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\ndatabase_url = "{database_url}"\nvar_dir = "{tmp_path}"\n')
    return CliRunner().invoke(main, list(args), env={"GATEWAY_CONFIG": str(config)},
                              catch_exceptions=False)


def test_optouts_are_managed_from_the_command_line(api, database_url, tmp_path):
    client_id, secret = api.register()
    added = _cli(database_url, tmp_path, "optouts", "add", "stu-a4", "--app", client_id,
                 "--note", "parent letter 2026-11-02")
    assert added.exit_code == 0 and "stu-a4 opted out of app" in added.output
    token = api.token(client_id, secret)
    hidden = api.client.get(f"{V12}/users/stu-a4", headers={"Authorization": f"Bearer {token}"})
    assert hidden.status_code == 404
    listed = _cli(database_url, tmp_path, "optouts", "list")
    assert "stu-a4" in listed.output and "parent letter" in listed.output
    assert _cli(database_url, tmp_path, "optouts", "remove", "stu-a4", "--app",
                client_id).exit_code == 0
    shown = api.client.get(f"{V12}/users/stu-a4", headers={"Authorization": f"Bearer {token}"})
    assert shown.status_code == 200
    unknown_app = _cli(database_url, tmp_path, "optouts", "add", "stu-a4", "--app", "nope")
    assert unknown_app.exit_code != 0 and "no app with client id 'nope'" in unknown_app.output


def test_a_students_disclosures_are_listed_for_a_parent(api, database_url, tmp_path):
    get = api.as_app(name="Reading Coach")
    get(f"{V12}/students/stu-b2?fields=sourcedId,givenName")
    get(f"{V12}/classes/cls-b/students")
    get(f"{V12}/students/stu-b3")
    api.app.extensions["gateway.disclosures"].flush()  # the server's mover, within its interval
    text = _cli(database_url, tmp_path, "disclosures", "stu-b2")
    assert text.exit_code == 0
    assert "2 disclosure(s) of stu-b2; log chain intact" in text.output
    assert f"{V12}/students/stu-b2?fields=sourcedId,givenName" in text.output
    report = json.loads(_cli(database_url, tmp_path, "disclosures", "stu-b2", "--format",
                             "json").output)
    assert report["chain_intact"] is True
    assert [d["name"] for d in report["disclosures"]] == ["Reading Coach", "Reading Coach"]
    assert report["disclosures"][0]["fields"] == "users.sourcedId,users.givenName"
