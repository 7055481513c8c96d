"""`fixengine keys generate|show-public` through the real CLI entry point."""

import stat

import pytest

from fixengine.auth import load_private_key, load_public_key, public_key_pem, sign_logon, verify_logon
from fixengine.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def body_lines(pem_text):
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


def test_generate_rsa(tmp_path, capsys):
    out_dir = tmp_path / "keys"
    code, out, err = run(capsys, "keys", "generate", "--out", str(out_dir), "--name", "trader1")
    assert code == 0, err
    private, public = out_dir / "trader1.key", out_dir / "trader1.pub.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(out_dir.stat().st_mode) == 0o700
    private_text = private.read_text()
    assert private_text.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    public_text = public.read_text()
    assert public_text.startswith("-----BEGIN PUBLIC KEY-----")  # SubjectPublicKeyInfo
    # prints the public key and both paths, never the private key
    assert public_text in out
    assert str(private) in out and str(public) in out
    assert "RSA-2048" in out
    for line in body_lines(private_text):
        assert line not in out and line not in err
    assert "PRIVATE KEY-----" not in out
    # the pair works for a logon signature
    key = load_private_key(private)
    raw = sign_logon(key, "20260820-14:30:05.123", 1, "uuid", "KalshiNR")
    assert len(raw) == 344
    assert verify_logon(load_public_key(public), raw, "20260820-14:30:05.123", 1, "uuid", "KalshiNR")


def test_generate_refuses_to_overwrite(tmp_path, capsys):
    assert run(capsys, "keys", "generate", "--out", str(tmp_path))[0] == 0
    before = (tmp_path / "kalshi.key").read_bytes()
    code, out, err = run(capsys, "keys", "generate", "--out", str(tmp_path))
    assert code == 2
    assert "refusing to overwrite" in err and str(tmp_path / "kalshi.key") in err
    assert (tmp_path / "kalshi.key").read_bytes() == before
    # a stray public file alone also blocks, and nothing new is written
    (tmp_path / "other.pub.pem").write_text("x")
    code, _, err = run(capsys, "keys", "generate", "--out", str(tmp_path), "--name", "other")
    assert code == 2 and "other.pub.pem" in err
    assert not (tmp_path / "other.key").exists()


def test_generate_ed25519(tmp_path, capsys):
    code, out, err = run(capsys, "keys", "generate", "--out", str(tmp_path), "--name", "ed", "--type", "ed25519")
    assert code == 0, err
    assert "Ed25519" in out and "UNCONFIRMED" in out
    key = load_private_key(tmp_path / "ed.key")
    assert public_key_pem(key) == (tmp_path / "ed.pub.pem").read_text()
    assert stat.S_IMODE((tmp_path / "ed.key").stat().st_mode) == 0o600


def test_generate_encrypted(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FIXENGINE_TEST_KEY_PW", "s3cret-pass")
    code, out, err = run(
        capsys, "keys", "generate", "--out", str(tmp_path), "--type", "ed25519", "--password-env", "FIXENGINE_TEST_KEY_PW"
    )
    assert code == 0, err
    assert "s3cret-pass" not in out and "encrypted" in out
    assert (tmp_path / "kalshi.key").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    load_private_key(tmp_path / "kalshi.key", "s3cret-pass")
    code, out, err = run(capsys, "keys", "show-public", str(tmp_path / "kalshi.key"),
                         "--password-env", "FIXENGINE_TEST_KEY_PW")
    assert code == 0 and (tmp_path / "kalshi.pub.pem").read_text() in out
    code, _, err = run(capsys, "keys", "show-public", str(tmp_path / "kalshi.key"))
    assert code == 2 and "encrypted and no password" in err


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 65, "sp ace"])
def test_generate_rejects_bad_names(tmp_path, capsys, name):
    code, _, err = run(capsys, "keys", "generate", "--out", str(tmp_path), "--name", name)
    assert code == 2 and "bad --name" in err
    assert list(tmp_path.iterdir()) == []


def test_generate_rejects_missing_password_env(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FIXENGINE_NO_SUCH_VAR", raising=False)
    code, _, err = run(capsys, "keys", "generate", "--out", str(tmp_path), "--password-env", "FIXENGINE_NO_SUCH_VAR")
    assert code == 2 and "FIXENGINE_NO_SUCH_VAR" in err
    assert not (tmp_path / "kalshi.key").exists()


def test_show_public_from_private_and_public(tmp_path, capsys):
    assert run(capsys, "keys", "generate", "--out", str(tmp_path))[0] == 0
    private_text = (tmp_path / "kalshi.key").read_text()
    public_text = (tmp_path / "kalshi.pub.pem").read_text()
    for path in (tmp_path / "kalshi.key", tmp_path / "kalshi.pub.pem"):
        code, out, err = run(capsys, "keys", "show-public", str(path))
        assert code == 0, err
        assert public_text in out and "SHA256:" in out
        for line in body_lines(private_text):
            assert line not in out


def test_show_public_corrupt_key_hides_material(tmp_path, capsys):
    assert run(capsys, "keys", "generate", "--out", str(tmp_path))[0] == 0
    path = tmp_path / "kalshi.key"
    lines = path.read_text().splitlines()
    lines[4] = lines[4][::-1]
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "keys", "show-public", str(path))
    assert code == 2
    assert str(path) in err and "corrupt" in err
    for line in body_lines("\n".join(lines)):
        assert line not in out and line not in err
        assert line[:16] not in err


def test_show_public_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, "keys", "show-public", str(tmp_path / "missing.key"))
    assert code == 2 and "no such file" in err


def test_generate_leaves_no_half_pair_when_public_write_fails(tmp_path, capsys, monkeypatch):
    import fixengine.auth.cli as keys_cli

    real_write = keys_cli.write_new_file

    def write(path, data, mode):
        if path.name.endswith(".pub.pem"):
            raise FileExistsError(17, "File exists", str(path))  # another process won the race
        real_write(path, data, mode)

    monkeypatch.setattr(keys_cli, "write_new_file", write)
    code, out, err = run(capsys, "keys", "generate", "--out", str(tmp_path), "--type", "ed25519")
    assert code == 2 and "refusing to overwrite" in err
    assert list(tmp_path.iterdir()) == []
