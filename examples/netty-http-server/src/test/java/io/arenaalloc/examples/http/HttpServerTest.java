package io.arenaalloc.examples.http;

import io.arenaalloc.netty.ArenaByteBufAllocator;
import io.arenaalloc.netty.LeakCounter;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The example server in this JVM on the arena allocator, at PARANOID leak detection: every endpoint answers right
 * (bodies checked byte for byte), bad input gets clear 4xx answers, and afterwards no leak is reported and no direct
 * buffer is left live.
 */
class HttpServerTest
{
    private static HttpServer.Running server;
    private static HttpClient client;
    private static ResourceLeakDetector.Level previous;

    @BeforeAll
    static void start() throws Exception
    {
        previous = ResourceLeakDetector.getLevel();
        server = HttpServer.start(HttpServer.Options.parse("--port", "0", "--allocator", "arena", "--threads", "2",
            "--leak-level", "paranoid", "--maintain-ms", "20"));
        LeakCounter.install().sweep(ArenaByteBufAllocator.shared(), 2);
        LeakCounter.install().reset();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws InterruptedException
    {
        server.close();
        ResourceLeakDetector.setLevel(previous);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (ArenaByteBufAllocator.shared().metric().activeDirectBuffers() != 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        assertEquals(0, ArenaByteBufAllocator.shared().metric().activeDirectBuffers(),
            "every direct buffer released once the server closed: " + ArenaByteBufAllocator.shared());
    }

    private static URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<byte[]> get(final String path) throws Exception
    {
        return client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void endpointsAnswerAndNothingLeaks() throws Exception
    {
        final HttpResponse<byte[]> hello = get("/");
        assertEquals(200, hello.statusCode());
        assertEquals("Hello, World!", new String(hello.body()));

        for (final int n : new int[] {0, 1, 4096, 100_000, 3_000_000})
        {
            final HttpResponse<byte[]> r = get("/bytes/" + n);
            assertEquals(200, r.statusCode());
            assertEquals(n, r.body().length);
            for (int i = 0; i < n; i++)
            {
                if (r.body()[i] != HttpServerHandler.patternAt(i))
                {
                    throw new AssertionError("/bytes/" + n + ": byte " + i + " differs");
                }
            }
        }

        final Random random = new Random(7);
        final List<CompletableFuture<Void>> echoes = new ArrayList<>();
        for (int k = 0; k < 40; k++)
        {
            final byte[] body = new byte[random.nextInt(300_000)];
            random.nextBytes(body);
            echoes.add(client.sendAsync(HttpRequest.newBuilder(uri("/echo"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenAccept((r) ->
                {
                    assertEquals(200, r.statusCode());
                    assertArrayEquals(body, r.body(), "echo of " + body.length + " bytes");
                }));
        }
        CompletableFuture.allOf(echoes.toArray(new CompletableFuture<?>[0])).get();

        assertEquals(404, get("/nope").statusCode());
        final HttpResponse<byte[]> bad = get("/bytes/abc");
        assertEquals(400, bad.statusCode());
        assertThat(new String(bad.body())).contains("size=abc").contains("expected an integer");
        assertEquals(400, get("/bytes/" + (HttpServerHandler.MAX_BODY + 1)).statusCode());
        assertEquals(405, get("/echo").statusCode());

        final String stats = new String(get("/stats?sweep=1").body());
        assertThat(stats).contains("\"allocator\":\"arena\"").contains("\"leakLevel\":\"PARANOID\"");
        assertEquals(0, LoadTest.number(stats, "leaks", -1), stats);
        assertThat(LoadTest.number(stats, "vmRssBytes", -1)).isPositive();
    }

    @Test
    void badOptionsAreRejectedClearly()
    {
        assertThatThrownBy(() -> HttpServer.Options.parse("--port", "70000"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--port 70000, expected [0, 65535]");
        assertThatThrownBy(() -> HttpServer.Options.parse("--allocator", "jemalloc"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected arena, pooled, adaptive or unpooled");
        assertThatThrownBy(() -> HttpServer.Options.parse("--leak-level", "loud"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--leak-level loud");
        assertThatThrownBy(() -> HttpServer.Options.parse("--threads"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--threads needs a value");
        assertThatThrownBy(() -> LoadTest.Options.parse("--mode", "huge"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--mode huge, expected ci or full");
        assertThatThrownBy(() -> LoadTest.Options.parse("--allocators", "arena,foo"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'foo'");
        assertThatThrownBy(() -> LoadTest.Options.parse("--connections", "1", "--wrk-threads", "2"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one connection per wrk thread");
    }
}
