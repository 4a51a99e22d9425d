import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers bytes the HTTP parser cannot read as a request (a garbage request line, a Content-Length of -5 or
/// 10²⁰, headers beyond the server's limit) with status 400 and OpenAI's error JSON, like every other error,
/// then closes the connection's output; Hummingbird alone answers them with an empty 400.
///
/// It sits after the HTTP codec, one per connection. Between requests it answers the parser's error itself and
/// keeps it (and the bytes still arriving) from the rest of the pipeline; inside a request, whose handler may
/// already be answering, it passes the error on and Hummingbird ends the request as before.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The largest request head Hummingbird's parser accepts (its default).
    static let maxHeaderBytes = HTTP1Channel.Configuration().httpDecoder.maxHeaderListSize

    /// A request's head has been read and its response has not ended.
    private var requestInFlight = false
    /// The error has been answered: what the client still sends is dropped.
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        if case .head = unwrapInboundIn(data) { requestInFlight = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestInFlight = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if answered { return }
        guard let parserError = error as? HTTPParserError, !requestInFlight else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let body = ByteBuffer(string: OpenAIError(.badRequest, Self.message(parserError), code: "malformed_request").json.serialized())
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        // Only the output closes, so that the rest of what the client sends is read (and dropped) rather than
        // reset, which could destroy the answer before the client reads it.
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
    }

    /// What is wrong with the request, in words.
    static func message(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            return "malformed HTTP request: the request line and headers exceed this server's limit of \(maxHeaderBytes) bytes"
        case .invalidContentLength, .unexpectedContentLength:
            return "malformed HTTP request: the Content-Length header is not a valid length"
        default:
            return "malformed HTTP request: \(error.debugDescription)"
        }
    }
}
