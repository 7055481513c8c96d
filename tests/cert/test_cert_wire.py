"""Raw transport: encoding, deliberate corruption, framing of good and bad inbound bytes, TCP/TLS."""

import socket
import ssl
import threading

import pytest

from fixengine.cert.wire import (Disconnected, FixConnection, FixMessage, Framer, Garbage, Transcript, checksum,
                                 encode, printable)

# part1 §9.5 heartbeat: BodyLength and CheckSum there were computed for exactly these bytes
HB = (b"8=FIXT.1.1\x019=87\x0135=0\x0149=0f8fad5b-d9cb-469f-a165-70867728950e\x0156=KalshiNR\x0134=2\x01"
      b"52=20260820-14:30:35.124\x0110=125\x01")


def test_encode_matches_the_fact_sheet_example():
    fields = [(35, "0"), (49, "0f8fad5b-d9cb-469f-a165-70867728950e"), (56, "KalshiNR"), (34, "2"),
              (52, "20260820-14:30:35.124")]
    assert encode(fields) == HB
    assert checksum(HB[:-7]) == "125"


def test_encode_can_break_length_and_checksum_on_purpose():
    raw = encode([(35, "0")], body_length=99, check_sum="000")
    assert raw == b"8=FIXT.1.1\x019=99\x0135=0\x0110=000\x01"
    msg = FixMessage.parse(raw)
    assert any("BodyLength(9)=99" in p for p in msg.problems)
    assert any("CheckSum(10)=000" in p for p in msg.problems)


def test_framer_splits_messages_across_chunks_and_reports_garbage():
    framer = Framer()
    stream = b"junk" + HB + HB
    out = framer.feed(stream[:10]) + framer.feed(stream[10:60]) + framer.feed(stream[60:])
    assert isinstance(out[0], Garbage) and out[0].raw == b"junk"
    messages = [m for m in out if isinstance(m, FixMessage)]
    assert len(messages) == 2
    assert messages[0].msg_type == "0" and messages[0].seq_num == 2 and messages[0].problems == []


def test_framer_falls_back_to_the_trailer_when_body_length_lies():
    bad = HB.replace(b"9=87", b"9=80")
    out = Framer().feed(bad + HB)
    assert [type(m) for m in out] == [FixMessage, FixMessage]
    assert "BodyLength(9)=80 but the body has 87 bytes" in out[0].problems[0]
    assert out[1].problems == []


def test_printable_shows_soh_as_bar():
    assert printable(b"8=FIXT.1.1\x019=5\x01\x7f") == "8=FIXT.1.1|9=5|\\x7f"


def _echo_server(tls_ctx=None):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        if tls_ctx is not None:
            conn = tls_ctx.wrap_socket(conn, server_side=True)
        data = b""
        while not data.endswith(b"\x01") or b"10=" not in data:
            data += conn.recv(4096)
        conn.sendall(HB[:20])
        conn.sendall(HB[20:] + b"garbage-after")
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize("use_tls", [False, True])
def test_connection_sends_receives_and_notices_close(use_tls, tmp_path):
    server_ctx = client_ctx = None
    if use_tls:
        from fixengine.sim.gateway.tls import generate_self_signed, server_context

        cert = generate_self_signed(tmp_path)
        server_ctx = server_context(cert)
        client_ctx = ssl.create_default_context(cafile=str(cert.cert_file))
    port = _echo_server(server_ctx)
    transcript = Transcript()
    conn = FixConnection("main", "127.0.0.1", port, transcript, client_ctx, "127.0.0.1")
    conn.connect()
    conn.send(encode([(35, "1"), (112, "X")]))
    msg = conn.receive(2.0)
    assert msg is not None and msg.msg_type == "0"
    with pytest.raises(Disconnected):
        conn.receive(2.0)
    directions = [e.direction for e in transcript.entries]
    assert directions[:3] == ["note", "out", "in"]
    assert transcript.entries[0].text.startswith("connected (TLS" if use_tls else "connected (TCP")
    assert any(e.text.startswith("connection closed") for e in transcript.entries)
    conn.close()
