"""One HTTP/3 request over QUIC with aioquic, for the HTTP/3 traffic tests (test/support/h3-client.ts).

Usage: h3-get.py ADDRESS PORT SERVERNAME PATH CAFILE [METHOD BODY_HEX [NAME=VALUE ...]]
(GET without a body by default; METHOD with BODY_HEX, the body in hex, and request headers.)
Prints one JSON object: {"status": int, "headers": {name: value}, "body": str, "bodyHex": str, "alpn": str}
(headers include trailers). Exits 2 with the error on stderr when the connection or the request fails (or takes
over 5 s).
"""
import asyncio
import json
import sys

from aioquic.asyncio import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration


class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.headers = {}
        self.body = b""
        self.done = asyncio.get_running_loop().create_future()

    def quic_event_received(self, event):
        for e in self.h3.handle_event(event):
            if isinstance(e, HeadersReceived):
                for k, v in e.headers:
                    self.headers[k.decode()] = v.decode()
            elif isinstance(e, DataReceived):
                self.body += e.data
            if getattr(e, "stream_ended", False) and not self.done.done():
                self.done.set_result(None)

    async def request(self, authority, path, method, body, headers):
        stream = self._quic.get_next_available_stream_id()
        pseudo = [(b":method", method.encode()), (b":scheme", b"https"), (b":authority", authority.encode()), (b":path", path.encode())]
        self.h3.send_headers(stream, pseudo + headers, end_stream=not body)
        if body:
            self.h3.send_data(stream, body, end_stream=True)
        self.transmit()
        await self.done


async def main(address, port, servername, path, cafile, method="GET", body_hex="", *headers):
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=servername)
    config.load_verify_locations(cafile)
    extra = [tuple(part.encode() for part in h.split("=", 1)) for h in headers]
    async with connect(address, port, configuration=config, create_protocol=H3Client) as client:
        await client.request(servername, path, method, bytes.fromhex(body_hex), extra)
        status = int(client.headers.pop(":status", "0"))
        alpn = client._quic.tls.alpn_negotiated
        body = client.body
        return {"status": status, "headers": client.headers, "body": body.decode(errors="replace"), "bodyHex": body.hex(), "alpn": alpn}


if __name__ == "__main__":
    try:
        out = asyncio.run(asyncio.wait_for(main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:]), 5))
    except Exception as err:  # noqa: BLE001 - any failure is the answer
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(out))
