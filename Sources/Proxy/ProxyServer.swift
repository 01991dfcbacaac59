import Chain
import Formats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Store
import Synchronization

/// `framechain serve`: the Replicate predictions API and the OpenAI images API, answered from the store.
public struct ProxyServer: Sendable {
    let configuration: ProxyConfiguration
    let session: ProxySession
    let upstream: Upstream

    /// Opens a session on `store` (in record and replay mode, a new run).
    ///
    /// - Parameter remote: A shared remote cache: in record mode a local miss is looked up there before any upstream
    ///   call, and what upstream makes is uploaded after its local commit (docs/REMOTE.md).
    public init(configuration: ProxyConfiguration, store: Store, remote: RemoteSession? = nil) throws(StoreError) {
        self.configuration = configuration
        self.session = try ProxySession(store: store, mode: configuration.mode, remote: remote)
        self.upstream = Upstream(
            replicateBase: configuration.upstreamReplicate, openAIBase: configuration.upstreamOpenAI)
    }

    /// The run this session records, if any.
    public var runID: String? { session.runID }

    /// Serves until SIGINT or SIGTERM, then records the run's end.
    /// - Parameter onListening: Called with the bound port once the server accepts connections.
    public func run(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        if configuration.clientToken != nil {
            router.add(middleware: ClientTokenMiddleware(configuration: configuration))
        }
        let api = ProxyRoutes(configuration: configuration, session: session, upstream: upstream)
        api.register(on: router)
        var http1 = HTTP1Channel.Configuration()
        http1.idleTimeout = .seconds(Int64(configuration.idleTimeoutSeconds))
        let listening = Atomic(false)
        let app = Application(
            router: router, server: .http1(configuration: http1),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                listening.store(true, ordering: .sequentiallyConsistent)
                await onListening(channel.localAddress?.port ?? 0)
            })
        do {
            try await app.runService()
        } catch {
            await upstream.shutdown()
            guard listening.load(ordering: .sequentiallyConsistent) else {
                // Nothing was served: no run is left behind, and a failure to bind names the address.
                session.abandon()
                guard error is IOError else { throw error }
                throw ListenError(host: configuration.host, port: configuration.port, cause: error)
            }
            session.finish()
            throw error
        }
        session.finish()
        await upstream.shutdown()
    }
}

/// The server could not listen on its address.
public struct ListenError: Error, CustomStringConvertible {
    let host: String
    let port: Int
    let cause: any Error

    public var description: String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        if let io = cause as? IOError, io.errnoCode == EADDRINUSE {
            return "cannot listen on \(address): the address is already in use (another framechain serve? pick a "
                + "free port with --listen \(host.contains(":") ? "[\(host)]" : host):PORT, or :0 for any)"
        }
        if let io = cause as? IOError, io.errnoCode == EACCES {
            return "cannot listen on \(address): permission denied (ports below 1024 need privileges)"
        }
        return "cannot listen on \(address): \(cause)"
    }
}

/// Builds JSON responses.
enum Reply {
    /// The standard reason phrase of the statuses the proxy answers itself.
    static func title(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 413: "Content Too Large"
        case 422: "Unprocessable Entity"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 504: "Gateway Timeout"
        default: HTTPResponse.Status(code: status).reasonPhrase
        }
    }

    static func json(_ value: JSONValue, status: Int = 200, contentType: String = "application/json") -> Response {
        bytes(Array(CanonicalJSON.string(value).utf8), status: status, headers: [("Content-Type", contentType)])
    }

    static func bytes(_ body: [UInt8], status: Int, headers: [(String, String)]) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func upstream(_ reply: UpstreamReply) -> Response {
        bytes(reply.body, status: reply.status, headers: Upstream.passedHeaders(reply.headers))
    }

    /// An RFC 7807 problem (Replicate's error shape), never to be retried.
    static func problem(_ status: Int, _ title: String, _ detail: String, extra: [String: JSONValue] = [:]) -> Response
    {
        var body: [String: JSONValue] = [
            "title": .string(title), "detail": .string(detail), "status": .number(Double(status)),
        ]
        body.merge(extra) { $1 }
        var response = json(.object(body), status: status, contentType: "application/problem+json")
        response.headers[HTTPField.Name("x-should-retry")!] = "false"
        return response
    }

    /// OpenAI's error shape (`{"error": {...}}`), with the problem members beside it.
    static func openAIError(_ status: Int, _ message: String, type: String, code: String? = nil) -> Response {
        let body = JSONValue.object([
            "error": .object([
                "message": .string(message), "type": .string(type), "param": .null,
                "code": code.map(JSONValue.string) ?? .null,
            ]),
            "title": .string(title(status)), "detail": .string(message),
            "status": .number(Double(status)),
        ])
        var response = json(body, status: status, contentType: "application/problem+json")
        response.headers[HTTPField.Name("x-should-retry")!] = "false"
        return response
    }
}

/// Turns every error that escapes a route (an unknown path, a body over the limit) into a JSON answer.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            let status = Int(error.status.code)
            let detail =
                status == 413
                ? "the request body is larger than the proxy accepts"
                : "\(request.method) \(request.uri.path): \(Reply.title(status))"
            return Reply.problem(status, Reply.title(status), detail)
        } catch {
            return Reply.problem(500, "Internal Server Error", "framechain serve: \(type(of: error))")
        }
    }
}

/// With `--token-file`, every request must carry `Authorization: Bearer <token>`.
struct ClientTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let configuration: ProxyConfiguration

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let presented = request.headers[.authorization] ?? ""
        guard let token = configuration.clientToken, Self.constantTimeEqual(presented, "Bearer \(token)") else {
            return Reply.problem(401, "Unauthorized", "this proxy needs the token of its --token-file as the API token")
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
