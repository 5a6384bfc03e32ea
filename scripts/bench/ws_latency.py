"""Time from a WebSocket ack to the same reading reaching a subscriber, while the server is under load.

A gateway connection sends one reading every 50 ms; a watcher subscribed to that meter notes when
it arrives. Prints the p50/p99/max of (arrival - ack) in milliseconds as one RESULT line: below
zero when the watcher has the reading before the gateway has its ack (a stored batch is published
as its commit completes, and the ack travels back beside it)."""
import asyncio, json, os, sys, time
import websockets

async def main(url, token, seconds):
    headers = {"Authorization": f"Bearer {token}"}
    kw = {"additional_headers": headers} if "additional_headers" in websockets.connect.__init__.__code__.co_varnames else {"extra_headers": headers}
    acks, arrivals = {}, {}
    async with websockets.connect(url, max_size=1 << 24, **kw) as watch, websockets.connect(url, max_size=1 << 24, **kw) as gw:
        await watch.send(json.dumps({"type": "subscribe", "meter": "WS-LATENCY"}))
        await watch.recv()
        async def watcher():
            async for text in watch:
                now = time.perf_counter()
                msg = json.loads(text)
                if msg.get("type") == "readings":
                    for r in msg["readings"]:
                        arrivals.setdefault(r["start"], now)
        task = asyncio.create_task(watcher())
        t0 = 1767225600
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            i += 1
            start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 1800))
            await gw.send(json.dumps({"type": "readings", "id": str(i), "readings": [{"meter_id": "WS-LATENCY", "start": start, "kwh": 0.5}]}))
            reply = json.loads(await gw.recv())
            acks[start] = time.perf_counter()
            assert reply.get("type") == "ack", reply
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        task.cancel()
    lat = sorted((arrivals[k] - acks[k]) * 1000 for k in acks if k in arrivals)
    missing = len(acks) - len(lat)
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    print("RESULT " + json.dumps({"messages": len(acks), "missing": missing, "p50_ms": round(q(0.5), 2), "p99_ms": round(q(0.99), 2),
                                  "max_ms": round(lat[-1], 2) if lat else None}))

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
