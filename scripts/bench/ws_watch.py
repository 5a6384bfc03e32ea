"""A dashboard-like watcher for load runs: subscribes to the fleet (every reading) or to its summary
(what the dashboard's pages take) and prints how many messages and bytes it was sent.

usage: ws_watch.py URL TOKEN fleet|summary SECONDS"""
import asyncio, json, sys, time, websockets
async def main(url, token, topic, seconds):
    headers = {"Authorization": f"Bearer {token}"}
    kw = {"additional_headers": headers} if "additional_headers" in websockets.connect.__init__.__code__.co_varnames else {"extra_headers": headers}
    n = 0; size = 0
    async with websockets.connect(url, max_size=1 << 26, **kw) as ws:
        await ws.send(json.dumps({"type": "subscribe", topic: True}))
        end = time.time() + seconds
        while time.time() < end:
            try:
                t = await asyncio.wait_for(ws.recv(), timeout=1)
            except asyncio.TimeoutError:
                continue
            n += 1; size += len(t)
    print(f"WATCH {topic}: {n} messages, {size/1e6:.1f} MB")
asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
