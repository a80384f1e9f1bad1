package io.arenaalloc.examples.http;

import io.arenaalloc.netty.ArenaByteBufAllocator;
import io.arenaalloc.netty.LeakCounter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ResourceLeakDetector;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 server on Netty's codec whose buffers come from a chosen allocator: {@code arena}
 * ({@link ArenaByteBufAllocator}, the default), {@code pooled} ({@link PooledByteBufAllocator}), {@code adaptive}
 * ({@link AdaptiveByteBufAllocator}) or {@code unpooled}.
 *
 * <h2>Use</h2>
 * <pre>
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... io.arenaalloc.examples.http.HttpServer \
 *        [--port 8080] [--host 127.0.0.1] [--allocator arena|pooled|adaptive|unpooled] [--threads N]
 *        [--leak-level disabled|simple|advanced|paranoid] [--maintain-ms 100]
 * </pre>
 * Prints {@code LISTENING <port>} on standard output once bound ({@code --port 0}: an ephemeral port).
 *
 * <h2>Endpoints ({@link HttpServerHandler})</h2>
 * <pre>
 *   GET  /  or /hello     "Hello, World!" (13 bytes)
 *   GET  /bytes/N         N bytes of a fixed pattern (0 .. 16 MiB), written into a buffer from ctx.alloc()
 *   POST /echo            the request body back (aggregated: a composite of the read buffers)
 *   GET  /stats[?sweep=1] JSON: allocator, its metric, leaks counted (after a GC sweep), VmRSS/VmHWM, heap
 * </pre>
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>Parse and validate the options ({@link Options}); set the leak detector's level; install the
 *   {@link LeakCounter}.</li>
 *   <li>Bind a {@link ServerBootstrap} with NIO event loops, the allocator as {@code ALLOCATOR} for the server
 *   channel and every child channel: the one line is {@code .childOption(ChannelOption.ALLOCATOR, allocator)}.</li>
 *   <li>For {@code arena}, optionally schedule {@link ArenaByteBufAllocator#scheduleMaintenance} on the workers.</li>
 *   <li>Run until the process is stopped (shutdown hook) or {@link Running#close()}.</li>
 * </ol>
 */
public final class HttpServer
{
    private HttpServer()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("error: " + ex.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        final Running running = start(options);
        System.out.println("LISTENING " + running.port() + " allocator=" + options.allocator + " threads=" +
            options.threads + " leakLevel=" + ResourceLeakDetector.getLevel());
        System.out.flush();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            running.close();
            stopped.countDown();
        }, "http-server-shutdown"));
        running.closeFuture().await();
        stopped.await(5, TimeUnit.SECONDS);
    }

    /** Starts a server; the caller closes it. */
    public static Running start(final Options options) throws InterruptedException
    {
        if (options.leakLevel != null)
        {
            ResourceLeakDetector.setLevel(options.leakLevel);
        }
        final LeakCounter leaks = LeakCounter.install();
        final ByteBufAllocator allocator = allocator(options.allocator);
        final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(options.threads, NioIoHandler.newFactory());
        ArenaByteBufAllocator.MaintenanceSchedule maintenance = null;
        if (allocator instanceof ArenaByteBufAllocator && options.maintainMillis > 0)
        {
            maintenance = ((ArenaByteBufAllocator)allocator).scheduleMaintenance(workers, options.maintainMillis,
                TimeUnit.MILLISECONDS);
        }
        final ServerStats stats = new ServerStats(options.allocator, allocator, leaks);
        final ServerBootstrap bootstrap = new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.ALLOCATOR, allocator)
            .childOption(ChannelOption.ALLOCATOR, allocator)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    final ChannelPipeline p = ch.pipeline();
                    p.addLast("codec", new HttpServerCodec());
                    p.addLast("aggregator", new HttpObjectAggregator(HttpServerHandler.MAX_BODY));
                    p.addLast("handler", new HttpServerHandler(stats));
                }
            });
        try
        {
            final Channel channel = bootstrap.bind(new InetSocketAddress(options.host, options.port)).sync().channel();
            return new Running(channel, boss, workers, maintenance);
        }
        catch (final RuntimeException | InterruptedException ex)
        {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ex;
        }
    }

    /** The allocator named {@code name}: arena (the shared ArenaByteBufAllocator), pooled, adaptive, unpooled. */
    public static ByteBufAllocator allocator(final String name)
    {
        switch (name)
        {
            case "arena":
                return ArenaByteBufAllocator.shared();
            case "pooled":
                return PooledByteBufAllocator.DEFAULT;
            case "adaptive":
                return new AdaptiveByteBufAllocator();
            case "unpooled":
                return UnpooledByteBufAllocator.DEFAULT;
            default:
                throw new IllegalArgumentException("allocator=" + name + ", expected arena, pooled, adaptive or unpooled");
        }
    }

    /** A bound server. */
    public static final class Running implements AutoCloseable
    {
        private final Channel channel;
        private final EventLoopGroup boss;
        private final EventLoopGroup workers;
        private final ArenaByteBufAllocator.MaintenanceSchedule maintenance;

        Running(final Channel channel, final EventLoopGroup boss, final EventLoopGroup workers,
            final ArenaByteBufAllocator.MaintenanceSchedule maintenance)
        {
            this.channel = channel;
            this.boss = boss;
            this.workers = workers;
            this.maintenance = maintenance;
        }

        public int port()
        {
            return ((InetSocketAddress)channel.localAddress()).getPort();
        }

        io.netty.channel.ChannelFuture closeFuture()
        {
            return channel.closeFuture();
        }

        /** Closes the listening channel and the event loops (waits up to 5 s). */
        @Override
        public void close()
        {
            if (maintenance != null)
            {
                maintenance.close();
            }
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Validated options. Defaults: {@link #DEFAULT_PORT}, {@link #DEFAULT_HOST} (loopback only),
     * {@link #DEFAULT_ALLOCATOR}, {@link #DEFAULT_THREADS} (cores), leak level unchanged (Netty's default SIMPLE,
     * or {@code -Dio.netty.leakDetection.level}), {@link #DEFAULT_MAINTAIN_MILLIS}.
     */
    public static final class Options
    {
        public static final int DEFAULT_PORT = 8080;
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final String DEFAULT_ALLOCATOR = "arena";
        public static final int DEFAULT_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
        public static final long DEFAULT_MAINTAIN_MILLIS = 100;
        public static final String USAGE = "usage: HttpServer [--port 0..65535] [--host ADDRESS] " +
            "[--allocator arena|pooled|adaptive|unpooled] [--threads 1..256] " +
            "[--leak-level disabled|simple|advanced|paranoid] [--maintain-ms 0..60000]";

        int port = DEFAULT_PORT;
        String host = DEFAULT_HOST;
        String allocator = DEFAULT_ALLOCATOR;
        int threads = DEFAULT_THREADS;
        ResourceLeakDetector.Level leakLevel;
        long maintainMillis = DEFAULT_MAINTAIN_MILLIS;

        public static Options parse(final String... args)
        {
            final Options o = new Options();
            for (int i = 0; i < args.length; i++)
            {
                final String name = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                final String value = args[++i];
                switch (name)
                {
                    case "--port":
                        o.port(intIn(name, value, 0, 65535));
                        break;
                    case "--host":
                        o.host = value;
                        break;
                    case "--allocator":
                        o.allocator(value);
                        break;
                    case "--threads":
                        o.threads(intIn(name, value, 1, 256));
                        break;
                    case "--leak-level":
                        o.leakLevel(value);
                        break;
                    case "--maintain-ms":
                        o.maintainMillis = intIn(name, value, 0, 60_000);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + name);
                }
            }
            return o;
        }

        public Options port(final int port)
        {
            this.port = intIn("--port", Integer.toString(port), 0, 65535);
            return this;
        }

        public Options allocator(final String name)
        {
            allocatorCheck(name);
            this.allocator = name;
            return this;
        }

        public Options threads(final int threads)
        {
            this.threads = intIn("--threads", Integer.toString(threads), 1, 256);
            return this;
        }

        public Options leakLevel(final String level)
        {
            try
            {
                this.leakLevel = ResourceLeakDetector.Level.valueOf(level.trim().toUpperCase(Locale.ROOT));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--leak-level " + level +
                    ", expected disabled, simple, advanced or paranoid", ex);
            }
            return this;
        }

        private static void allocatorCheck(final String name)
        {
            switch (name)
            {
                case "arena":
                case "pooled":
                case "adaptive":
                case "unpooled":
                    return;
                default:
                    throw new IllegalArgumentException("--allocator " + name +
                        ", expected arena, pooled, adaptive or unpooled");
            }
        }

        private static int intIn(final String name, final String value, final int min, final int max)
        {
            final int v;
            try
            {
                v = Integer.parseInt(value.trim());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + " " + value + ", expected an integer in [" + min + ", " + max +
                    "]", ex);
            }
            if (v < min || v > max)
            {
                throw new IllegalArgumentException(name + " " + value + ", expected [" + min + ", " + max + "]");
            }
            return v;
        }
    }
}
