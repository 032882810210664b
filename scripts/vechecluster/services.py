"""Two instances of every service and of the gateway, all joined to the cluster.

Instances of one service share the ADR-32 queue group "q" (requests are spread over them) and the same
durable JetStream consumers (a message goes to one of them; the other takes over when one dies). Each
has its own VECHE_INSTANCE_ID (its ADR-32 id and part of its NATS connection name) and each gateway its
own HTTP port; a load balancer in front of the gateways is the deployment's business (README).
"""
import asyncio
import json
import os
import time

from . import identity
from .layout import SERVICE_NAMES, SERVICES
from .procs import port_open, wait_for


class Services:
    def __init__(self, layout, procs, bin_dir):
        self.layout = layout
        self.procs = procs
        self.bin_dir = bin_dir

    def start(self, instance):
        binary = os.path.join(self.bin_dir, instance.program)
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"{binary} is missing: build first (swift build)")
        self.procs.start(instance.name, [binary], env=self.layout.service_env(instance))

    def kill(self, instance):
        return self.procs.kill(instance.name)

    def up(self, timeout=180):
        """AgencyService first (the others ask it for the directory while they start), then the rest."""
        first = [i for i in self.layout.instances if i.program == "agency-service"]
        for i in first:
            self.start(i)
        self.wait_ready(["agency-service"], timeout)
        for i in self.layout.instances:
            if i.program not in ("agency-service", "gateway"):
                self.start(i)
        self.wait_ready([p for p in SERVICES if p != "agency-service"], timeout)
        for g in self.layout.gateways():
            self.start(g)
            if not wait_for(lambda: port_open(g.http_port), 60):
                raise RuntimeError(f"{g.name} did not open port {g.http_port}; see {self.procs.log_path(g.name)}")

    def wait_ready(self, programs, timeout):
        """Until every instance of `programs` answers $SRV.PING (its endpoints are subscribed)."""
        wanted = {i.name for i in self.layout.instances if i.program in programs}
        deadline = time.monotonic() + timeout
        while True:
            seen = set()
            for p in programs:
                seen |= set(asyncio.run(ping(self.layout.nats_url_list, SERVICE_NAMES[p],
                                             **identity.nats_options("ops", self.layout.secrets))))
            if wanted <= seen:
                return
            dead = [n for n in wanted if not self.procs.alive(n)]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"not ready: {sorted(wanted - seen)} (exited: {dead}); logs in {self.procs.logs}")
            time.sleep(0.5)

    def stop_all(self):
        for i in reversed(self.layout.instances):
            self.procs.stop(i.name)


async def ping(urls, service, wait=0.5, **credentials):
    """Instance ids answering ADR-32 $SRV.PING.<service> within `wait` seconds (`credentials`: nats-py connect
    keywords of a bus user allowed to ping, see identity.nats_options("ops", ...))."""
    import nats
    nc = await nats.connect(servers=urls.split(","), connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False,
                            **credentials)
    try:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        await nc.publish(f"$SRV.PING.{service}", b"", reply=inbox)
        ids = []
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await sub.next_msg(timeout=left)
            except Exception:
                break
            if msg.data:  # an empty reply is the server's "no responders" status
                ids.append(json.loads(msg.data)["id"])
        return ids
    finally:
        await nc.close()
