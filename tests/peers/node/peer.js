// A libzmq peer for aiomsg's interop tests: zeromq.js (libzmq 4.3.5 with
// draft sockets) driven by JSON lines on stdin, one answer per line on stdout.
//
// Request:  {"seq": 1, "op": "socket", "type": "Server", "options": {...}}
// Answer:   {"seq": 1, "ok": true, ...}  or  {"seq": 1, "error": "...", "code": "EHOSTUNREACH"}
//
// Ops: socket {type, options} -> {id}; bind {id, endpoint} -> {endpoint};
// connect {id, endpoint}; send {id, data (hex), routingId?, group?};
// recv {id} -> {data (hex), routingId?, group?}; join/leave {id, group};
// subscribe {id, topic (hex)}; close {id}. Requests run concurrently: a pending recv does not block a send.
"use strict"

const zmq = require("zeromq")
const draft = require("zeromq/draft")
const readline = require("readline")

const TYPES = {
  Server: draft.Server, Client: draft.Client, Radio: draft.Radio, Dish: draft.Dish,
  Gather: draft.Gather, Scatter: draft.Scatter,
  Push: zmq.Push, Pull: zmq.Pull, Dealer: zmq.Dealer, Router: zmq.Router,
  Req: zmq.Request, Rep: zmq.Reply, Pub: zmq.Publisher, Sub: zmq.Subscriber,
}
// zeromq.js has no classes for PEER and CHANNEL: raw socket types (zmq.h).
const RAW_TYPES = {Peer: 19, Channel: 20}

const sockets = new Map()
let nextId = 1

function reply(message) {
  process.stdout.write(JSON.stringify(message) + "\n")
}

function make(type, options) {
  const opts = {linger: 0, ...(options || {})}
  if (type in TYPES) return new TYPES[type](opts)
  if (type in RAW_TYPES) {
    const socket = new zmq.Socket(RAW_TYPES[type], opts)
    return socket
  }
  throw new Error(`unknown socket type ${type}`)
}

async function handle(request) {
  const socket = sockets.get(request.id)
  switch (request.op) {
    case "socket": {
      const id = nextId++
      sockets.set(id, make(request.type, request.options))
      return {id}
    }
    case "bind":
      await socket.bind(request.endpoint)
      return {endpoint: socket.lastEndpoint}
    case "connect":
      socket.connect(request.endpoint)
      return {}
    case "send": {
      // "frames" (a list of hex strings) sends a multipart message.
      if (request.frames !== undefined) {
        await socket.send(request.frames.map(f => Buffer.from(f, "hex")))
        return {}
      }
      const data = Buffer.from(request.data, "hex")
      const extra = {}
      if (request.routingId !== undefined) extra.routingId = request.routingId
      if (request.group !== undefined) extra.group = Buffer.from(request.group, "hex")
      // Only SERVER and RADIO take a second argument.
      await (Object.keys(extra).length ? socket.send(data, extra) : socket.send(data))
      return {}
    }
    case "recv": {
      const frames = await socket.receive()
      const [data, meta] = frames
      const answer = {data: data.toString("hex")}
      if (Buffer.isBuffer(meta)) answer.frames = frames.map(f => f.toString("hex"))
      if (meta && meta.routingId !== undefined) answer.routingId = meta.routingId
      if (meta && meta.group !== undefined) answer.group = Buffer.from(meta.group).toString("hex")
      return answer
    }
    case "subscribe":
      socket.subscribe(Buffer.from(request.topic, "hex"))
      return {}
    case "join":
      socket.join(Buffer.from(request.group, "hex"))
      return {}
    case "leave":
      socket.leave(Buffer.from(request.group, "hex"))
      return {}
    case "close":
      socket.close()
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
    error => reply({seq: request.seq, error: String(error.message || error), code: error.code}),
  )
}).on("close", () => {
  for (const socket of sockets.values()) socket.close()
  process.exit(0)
})

reply({seq: 0, ok: true, version: zmq.version, draft: zmq.capability.draft})
