package io.arenaalloc.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;

/**
 * Answers one aggregated request (see {@link HttpServer} for the endpoints). Every response body is a buffer from
 * {@code ctx.alloc()} (so from the allocator under test), except {@code /echo}, which sends the request's own
 * buffers back (a retained duplicate of the aggregated composite).
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>Route on the path; bad input (a malformed request, a size out of range, a wrong method) gets 400/405
 *   with a message naming the value and what was expected.</li>
 *   <li>Build the body, set content type and length, and keep-alive per HTTP/1.1 rules.</li>
 *   <li>{@code write} now, {@code flush} at {@code channelReadComplete} (one flush per read batch); close after
 *   writing when the client did not ask for keep-alive.</li>
 * </ol>
 * The request is released by {@link SimpleChannelInboundHandler} after {@code channelRead0}.
 */
final class HttpServerHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    /** Largest request body the aggregator accepts, and the largest {@code /bytes/N}. */
    static final int MAX_BODY = 16 << 20;
    private static final byte[] HELLO = "Hello, World!".getBytes(CharsetUtil.US_ASCII);
    /** 26 * 2520 bytes: a whole number of alphabets, so copies of it continue the pattern. */
    private static final byte[] PATTERN = new byte[26 * 2520];
    private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain");
    private static final AsciiString OCTETS = AsciiString.cached("application/octet-stream");
    private static final AsciiString JSON = AsciiString.cached("application/json");

    static
    {
        for (int i = 0; i < PATTERN.length; i++)
        {
            PATTERN[i] = (byte)('a' + i % 26);
        }
    }

    private final ServerStats stats;

    HttpServerHandler(final ServerStats stats)
    {
        this.stats = stats;
    }

    /** The byte at offset {@code i} of a {@code /bytes/N} body. */
    static byte patternAt(final int i)
    {
        return (byte)('a' + i % 26);
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest req)
    {
        if (!req.decoderResult().isSuccess())
        {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, text(ctx, "malformed request: " + req.decoderResult()),
                TEXT_PLAIN);
            return;
        }
        final String uri = req.uri();
        final String path = new QueryStringDecoder(uri).path();
        if (path.equals("/") || path.equals("/hello"))
        {
            respond(ctx, req, HttpResponseStatus.OK, ctx.alloc().buffer(HELLO.length).writeBytes(HELLO), TEXT_PLAIN);
        }
        else if (path.startsWith("/bytes/"))
        {
            final int n;
            try
            {
                n = Integer.parseInt(path.substring("/bytes/".length()));
            }
            catch (final NumberFormatException ex)
            {
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, text(ctx, "size=" + path.substring(7) +
                    ", expected an integer in [0, " + MAX_BODY + "]\n"), TEXT_PLAIN);
                return;
            }
            if (n < 0 || n > MAX_BODY)
            {
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, text(ctx, "size=" + n + ", expected [0, " + MAX_BODY +
                    "]\n"), TEXT_PLAIN);
                return;
            }
            final ByteBuf body = ctx.alloc().buffer(Math.min(n, 4096)); // grows while written: exercises ensureWritable
            int left = n;
            while (left > 0)
            {
                final int k = Math.min(left, PATTERN.length);
                body.writeBytes(PATTERN, 0, k);
                left -= k;
            }
            respond(ctx, req, HttpResponseStatus.OK, body, OCTETS);
        }
        else if (path.equals("/echo"))
        {
            if (!HttpMethod.POST.equals(req.method()))
            {
                respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, text(ctx, "method=" + req.method() +
                    ", expected POST\n"), TEXT_PLAIN);
                return;
            }
            respond(ctx, req, HttpResponseStatus.OK, req.content().retainedDuplicate(), OCTETS);
        }
        else if (path.equals("/stats"))
        {
            final boolean sweep = new QueryStringDecoder(uri).parameters().containsKey("sweep");
            respond(ctx, req, HttpResponseStatus.OK, text(ctx, stats.json(sweep)), JSON);
        }
        else
        {
            respond(ctx, req, HttpResponseStatus.NOT_FOUND, text(ctx, "no such path: " + path +
                " (expected /, /hello, /bytes/N, /echo, /stats)\n"), TEXT_PLAIN);
        }
    }

    private static ByteBuf text(final ChannelHandlerContext ctx, final String s)
    {
        final byte[] b = s.getBytes(CharsetUtil.UTF_8);
        return ctx.alloc().buffer(b.length).writeBytes(b);
    }

    private static void respond(final ChannelHandlerContext ctx, final FullHttpRequest req,
        final HttpResponseStatus status, final ByteBuf body, final AsciiString contentType)
    {
        final boolean keepAlive = HttpUtil.isKeepAlive(req);
        final FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
            body != null ? body : Unpooled.EMPTY_BUFFER);
        res.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, contentType)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        if (keepAlive)
        {
            if (!req.protocolVersion().isKeepAliveDefault())
            {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
        else
        {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        final ChannelFuture f = ctx.write(res);
        if (!keepAlive)
        {
            ctx.flush();
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ctx.close();
    }
}
