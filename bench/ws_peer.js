// libzmq's side of bench/ws.py: a zeromq.js (libzmq 4.3.5) PUSH or PULL.
//
//   node ws_peer.js pull <bind-endpoint> <count>
//       binds, prints "ENDPOINT <endpoint>", receives <count> messages and
//       prints {"count", "bytes", "seconds"} (first message to last)
//   node ws_peer.js push <endpoint> <count> <size>
//       connects and sends <count> messages of <size> bytes; bench/ws.py
//       ends it once the PULL has reported (the messages may still be
//       queued in libzmq when the last send returns)
//
// NODE_PATH must hold zeromq (make peers installs it in .cache/peers/node).
"use strict"

const zmq = require("zeromq")

async function pull(endpoint, count) {
  const sock = new zmq.Pull({linger: 0})
  await sock.bind(endpoint)
  process.stdout.write(`ENDPOINT ${sock.lastEndpoint}\n`)
  let received = 0
  let bytes = 0
  let started = 0n
  for await (const [message] of sock) {
    if (received === 0) started = process.hrtime.bigint()
    received += 1
    bytes += message.length
    if (received === count) break
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  process.stdout.write(JSON.stringify({count: received, bytes, seconds}) + "\n")
  sock.close()
}

async function push(endpoint, count, size) {
  const sock = new zmq.Push({linger: -1, sendHighWaterMark: 1000})
  sock.connect(endpoint)
  const payload = Buffer.alloc(size, 0x61)
  for (let i = 0; i < count; i++) await sock.send(payload)
}

const [role, endpoint, count, size] = process.argv.slice(2)
const run = role === "pull" ? pull(endpoint, Number(count)) : push(endpoint, Number(count), Number(size))
run.then(() => { if (role === "pull") process.exit(0) }, error => {
  process.stderr.write(`ws_peer.js: ${error.stack || error}\n`)
  process.exit(1)
})
