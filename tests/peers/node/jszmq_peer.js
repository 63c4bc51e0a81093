// jszmq (a pure JavaScript ZWS 2.0 stack, npm "jszmq") as an interop peer
// for aiomsg's tests, driven by JSON lines on stdin like peer.js: one answer
// per line on stdout.
//
// Ops: socket {type} -> {id}; bind {id, path} -> {endpoint}; connect {id,
// endpoint}; send {id, frames (hex list)}; recv {id} -> {frames}; subscribe
// {id, topic (hex)}; close {id}.
//
// jszmq has no ephemeral ports and its own listener takes every interface,
// so bind serves the socket from a Node http server listening on an
// ephemeral port of 127.0.0.1 (jszmq's bind(address, server) form).
"use strict"

const http = require("http")
const readline = require("readline")
const zmq = require("jszmq")

const TYPES = {
  Dealer: zmq.Dealer, Router: zmq.Router, Req: zmq.Req, Rep: zmq.Rep,
  Pub: zmq.Pub, Sub: zmq.Sub, Push: zmq.Push, Pull: zmq.Pull, Pair: zmq.Pair,
}

// Per socket: the jszmq socket, the messages not yet asked for, the
// requests waiting for a message, and the http servers it is bound on.
const sockets = new Map()
let nextId = 1

function reply(message) {
  process.stdout.write(JSON.stringify(message) + "\n")
}

function make(type) {
  if (!(type in TYPES)) throw new Error(`unknown socket type ${type}`)
  const entry = {socket: new TYPES[type](), inbox: [], waiting: [], servers: []}
  entry.socket.on("message", (...frames) => {
    const message = frames.map(f => Buffer.from(f).toString("hex"))
    const waiter = entry.waiting.shift()
    if (waiter) waiter(message)
    else entry.inbox.push(message)
  })
  return entry
}

async function handle(request) {
  const entry = sockets.get(request.id)
  switch (request.op) {
    case "socket": {
      const id = nextId++
      sockets.set(id, make(request.type))
      return {id}
    }
    case "bind": {
      const server = http.createServer((req, res) => { res.writeHead(404); res.end() })
      await new Promise((resolve, reject) => {
        server.once("error", reject)
        server.listen(0, "127.0.0.1", resolve)
      })
      entry.servers.push(server)
      const endpoint = `ws://127.0.0.1:${server.address().port}${request.path}`
      entry.socket.bind(endpoint, server)
      return {endpoint}
    }
    case "connect":
      entry.socket.connect(request.endpoint)
      return {}
    case "send":
      entry.socket.send(request.frames.map(f => Buffer.from(f, "hex")))
      return {}
    case "recv": {
      const message = entry.inbox.shift() ||
        await new Promise(resolve => entry.waiting.push(resolve))
      return {frames: message}
    }
    case "subscribe":
      entry.socket.subscribe(Buffer.from(request.topic, "hex"))
      return {}
    case "close":
      entry.socket.close()
      for (const server of entry.servers) server.close()
      sockets.delete(request.id)
      return {}
    default:
      throw new Error(`unknown op ${request.op}`)
  }
}

readline.createInterface({input: process.stdin}).on("line", line => {
  const request = JSON.parse(line)
  handle(request).then(
    answer => reply({seq: request.seq, ok: true, ...answer}),
    error => reply({seq: request.seq, error: String(error.message || error)}),
  )
}).on("close", () => {
  for (const entry of sockets.values()) {
    entry.socket.close()
    for (const server of entry.servers) server.close()
  }
  process.exit(0)
})

// jszmq sets no error handler on its client WebSockets, so a refused
// reconnect (the test's server already gone) would throw out of Node's event
// loop: report it and go on, as a long-lived client must.
process.on("uncaughtException", error => {
  process.stderr.write(`jszmq: ${error.message || error}\n`)
})

reply({seq: 0, ok: true, version: require("jszmq/package.json").version})
