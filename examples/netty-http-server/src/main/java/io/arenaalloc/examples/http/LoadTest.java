package io.arenaalloc.examples.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives {@link HttpServer} with {@code wrk} on loopback, once per allocator (Netty's pooled allocator beside
 * ours), and writes the figures side by side: requests per second, latency percentiles, resident memory.
 *
 * <h2>Use</h2>
 * <pre>
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... io.arenaalloc.examples.http.LoadTest \
 *        [--mode ci|full] [--allocators arena,pooled] [--scenarios hello,bytes,echo] [--duration S] [--warmup S]
 *        [--rounds N] [--connections C] [--wrk-threads T] [--max-requests N] [--server-threads N]
 *        [--leak-level L] [--server-jvm-args "..."] [--out DIR]
 * </pre>
 * Mode defaults (each option overrides):
 * <pre>
 *   mode   duration  warmup  rounds  max-requests  leak-level  purpose
 *   ci     3 s       1 s     1       100000        paranoid    under a minute; proves no leak under real load
 *   full   15 s      5 s     3       5000000       simple      published figures (docs/netty-load.md)
 * </pre>
 * Scenarios: {@code hello} (GET /, 13-byte body), {@code bytes} (GET /bytes/16384: a body grown to 16 KiB),
 * {@code echo} (POST /echo with 4 KiB: aggregated composite sent back).
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>Find {@code wrk}; when missing and running as root, {@code apt-get update && apt-get install -y wrk}.
 *   If it still cannot run, the result says why ({@link Result#skipped}) and nothing is measured.</li>
 *   <li>For each round, for each allocator (the order alternates between rounds, against drift): start the
 *   server as its own JVM ({@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} plus the same
 *   {@code --server-jvm-args} for every allocator) on 127.0.0.1 with an ephemeral port, wait for
 *   {@code LISTENING}.</li>
 *   <li>Warm up: every scenario for {@code warmup} seconds, not recorded.</li>
 *   <li>Measure: every scenario for {@code duration} seconds or {@code max-requests} requests, whichever comes
 *   first (a wrk Lua script stops each wrk thread at its share); then read the server's VmRSS and VmHWM from
 *   {@code /proc/<pid>/status}.</li>
 *   <li>Ask the server for {@code /stats?sweep=1} (GCs, then the leak count of Netty's detector), stop it.</li>
 *   <li>Write {@code netty-load.json} and {@code netty-load.md} into {@code --out}: medians over rounds, each
 *   round's figures, and our ratio to the pooled allocator.</li>
 * </ol>
 * wrk measures latency from its own send time (closed loop: coordinated omission applies, as for any wrk run);
 * wrk and the server share the machine's cores, so compare figures from the same run only.
 */
public final class LoadTest
{
    public static final String DEFAULT_SERVER_JVM_ARGS = "-Xms64m -Xmx256m -XX:+UseSerialGC -XX:MaxDirectMemorySize=512m";
    private static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";
    private static final Pattern JSON_NUMBER = Pattern.compile("\"([a-zA-Z0-9_]+)\":(-?[0-9.]+)");

    private LoadTest()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Options o;
        try
        {
            o = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("error: " + ex.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        final Result r = run(o);
        if (r.skipped != null)
        {
            System.out.println("SKIPPED: " + r.skipped);
            System.exit(4);
        }
        System.out.println(r.markdown);
        System.out.println("wrote " + o.out.resolve("netty-load.md") + " and " + o.out.resolve("netty-load.json"));
        System.exit(r.totalLeaks() == 0 && r.totalErrors() == 0 ? 0 : 3);
    }

    // =========================================================================================
    // running
    // =========================================================================================

    /** Runs the whole comparison and writes the files; a missing wrk gives a result with {@code skipped} set. */
    public static Result run(final Options o) throws IOException, InterruptedException
    {
        final Result result = new Result(o);
        final String wrk = ensureWrk();
        if (wrk.startsWith("!"))
        {
            result.skipped = wrk.substring(1);
            return result;
        }
        result.wrkVersion = wrkVersion(wrk);
        Files.createDirectories(o.out);
        final Path scripts = Files.createTempDirectory("wrk-scripts");
        try
        {
            for (int round = 0; round < o.rounds; round++)
            {
                final List<String> order = new ArrayList<>(o.allocators);
                if (round % 2 == 1)
                {
                    Collections.reverse(order);
                }
                for (final String allocator : order)
                {
                    result.servers.add(runServer(o, wrk, scripts, allocator, round));
                }
            }
        }
        finally
        {
            deleteTree(scripts);
        }
        result.finish();
        Files.write(o.out.resolve("netty-load.json"), result.json().getBytes(StandardCharsets.UTF_8));
        Files.write(o.out.resolve("netty-load.md"), result.markdown.getBytes(StandardCharsets.UTF_8));
        return result;
    }

    private static ServerRun runServer(final Options o, final String wrk, final Path scripts, final String allocator,
        final int round) throws IOException, InterruptedException
    {
        final ServerRun run = new ServerRun(allocator, round);
        final Path log = o.out.resolve("server-" + allocator + "-round" + round + ".log");
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java);
        cmd.add(ADD_EXPORTS);
        cmd.addAll(Arrays.asList(o.serverJvmArgs.trim().split("\\s+")));
        cmd.add("-cp");
        cmd.add(o.classpath);
        cmd.add(HttpServer.class.getName());
        cmd.addAll(Arrays.asList("--port", "0", "--host", "127.0.0.1", "--allocator", allocator, "--threads",
            Integer.toString(o.serverThreads), "--leak-level", o.leakLevel));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try
        {
            final int port = awaitListening(p, log);
            run.pid = p.pid();
            run.rssStartBytes = procStatusBytes(p.pid(), "VmRSS:");
            for (final String scenario : o.scenarios)
            {
                wrk(o, wrk, scripts, port, scenario, o.warmupSeconds, 0); // warm-up, not recorded
            }
            for (final String scenario : o.scenarios)
            {
                final Map<String, Double> figures = wrk(o, wrk, scripts, port, scenario, o.durationSeconds, o.maxRequests);
                figures.put("rss_after_bytes", (double)procStatusBytes(p.pid(), "VmRSS:"));
                figures.put("hwm_after_bytes", (double)procStatusBytes(p.pid(), "VmHWM:"));
                run.scenarios.put(scenario, figures);
            }
            run.rssEndBytes = procStatusBytes(p.pid(), "VmRSS:");
            run.hwmBytes = procStatusBytes(p.pid(), "VmHWM:");
            run.stats = httpGet("http://127.0.0.1:" + port + "/stats?sweep=1");
            run.leaks = (long)number(run.stats, "leaks", -1);
        }
        finally
        {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS))
            {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        run.serverLogLeakLines = countLines(log, "LEAK:");
        return run;
    }

    private static int awaitListening(final Process p, final Path log) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            if (Files.exists(log))
            {
                for (final String line : Files.readAllLines(log, StandardCharsets.UTF_8))
                {
                    if (line.startsWith("LISTENING "))
                    {
                        return Integer.parseInt(line.split("\\s+")[1]);
                    }
                }
            }
            if (!p.isAlive())
            {
                throw new IOException("server exited with " + p.exitValue() + " before listening; log " + log + ":\n" +
                    new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
        throw new IOException("server did not print LISTENING within 60 s; see " + log);
    }

    /** One wrk run. @return its figures (requests, rps, latency percentiles in microseconds, errors). */
    private static Map<String, Double> wrk(final Options o, final String wrk, final Path scripts, final int port,
        final String scenario, final int seconds, final long maxRequests) throws IOException, InterruptedException
    {
        final Path script = scripts.resolve(scenario + ".lua");
        Files.write(script, luaScript(scenario, maxRequests, o.wrkThreads).getBytes(StandardCharsets.UTF_8));
        final String path = scenario.equals("bytes") ? "/bytes/16384" : scenario.equals("echo") ? "/echo" : "/";
        final List<String> cmd = Arrays.asList(wrk, "-t", Integer.toString(o.wrkThreads), "-c",
            Integer.toString(o.connections), "-d", seconds + "s", "--timeout", "5s", "-s", script.toString(),
            "http://127.0.0.1:" + port + path);
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out;
        try (InputStream in = p.getInputStream())
        {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new IOException("wrk did not finish: " + cmd);
        }
        String jsonLine = null;
        for (final String line : out.split("\n"))
        {
            if (line.startsWith("JSON "))
            {
                jsonLine = line.substring(5);
            }
        }
        if (p.exitValue() != 0 || jsonLine == null)
        {
            throw new IOException("wrk failed (exit " + p.exitValue() + "): " + cmd + "\n" + out);
        }
        final Map<String, Double> figures = new LinkedHashMap<>();
        final Matcher m = JSON_NUMBER.matcher(jsonLine);
        while (m.find())
        {
            figures.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        figures.put("rps", figures.get("requests") / (figures.get("duration_us") / 1e6));
        return figures;
    }

    /**
     * The wrk script of a scenario: method and body; when {@code maxRequests > 0}, a response hook that stops each
     * wrk thread after its share; a done hook that prints one JSON line (times in microseconds).
     */
    static String luaScript(final String scenario, final long maxRequests, final int wrkThreads)
    {
        final StringBuilder s = new StringBuilder();
        if (scenario.equals("echo"))
        {
            s.append("wrk.method = \"POST\"\n");
            s.append("wrk.body = string.rep(\"0123456789abcdef\", 256)\n");
            s.append("wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n");
        }
        if (maxRequests > 0)
        {
            final long perThread = (maxRequests + wrkThreads - 1) / wrkThreads;
            s.append("local seen = 0\n");
            s.append("function response(status, headers, body)\n");
            s.append("  seen = seen + 1\n");
            s.append("  if seen >= ").append(perThread).append(" then wrk.thread:stop() end\n");
            s.append("end\n");
        }
        s.append("function done(summary, latency, requests)\n");
        s.append("  local e = summary.errors\n");
        s.append("  io.write(string.format('JSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,")
            .append("\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,")
            .append("\"errors_timeout\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"p999_us\":%d,")
            .append("\"max_us\":%d,\"mean_us\":%.1f}\\n', summary.requests, summary.duration, summary.bytes,")
            .append(" e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90),")
            .append(" latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))\n");
        s.append("end\n");
        return s.toString();
    }

    // =========================================================================================
    // wrk availability
    // =========================================================================================

    /** @return the wrk command, or "!" and the reason it is unavailable. */
    static String ensureWrk() throws InterruptedException
    {
        String wrk = findOnPath("wrk");
        if (wrk != null)
        {
            return wrk;
        }
        if (!"root".equals(System.getProperty("user.name")))
        {
            return "!wrk is not installed and this is not root (install it: apt-get install -y wrk)";
        }
        String output;
        try
        {
            final Process p = new ProcessBuilder("bash", "-c",
                "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq wrk")
                .redirectErrorStream(true).start();
            try (InputStream in = p.getInputStream())
            {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(300, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                return "!apt-get install -y wrk did not finish within 300 s";
            }
        }
        catch (final IOException ex)
        {
            return "!wrk is not installed and apt-get could not run: " + ex.getMessage();
        }
        wrk = findOnPath("wrk");
        if (wrk == null)
        {
            final String tail = output.length() > 400 ? output.substring(output.length() - 400) : output;
            return "!wrk is not installed and apt-get install -y wrk did not install it: " + tail.trim();
        }
        return wrk;
    }

    private static String findOnPath(final String name)
    {
        final String path = System.getenv("PATH");
        for (final String dir : (path == null ? "/usr/bin:/usr/local/bin" : path + ":/usr/bin").split(":"))
        {
            final Path p = Paths.get(dir, name);
            if (Files.isExecutable(p))
            {
                return p.toString();
            }
        }
        return null;
    }

    private static String wrkVersion(final String wrk)
    {
        try
        {
            final Process p = new ProcessBuilder(wrk, "-v").redirectErrorStream(true).start();
            final String out;
            try (InputStream in = p.getInputStream())
            {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            p.waitFor(10, TimeUnit.SECONDS);
            final String first = out.split("\n")[0].trim();
            final int bracket = first.indexOf(" [");
            return bracket > 0 ? first.substring(0, bracket) : first;
        }
        catch (final IOException | InterruptedException ex)
        {
            return "unknown";
        }
    }

    // =========================================================================================
    // helpers
    // =========================================================================================

    static long procStatusBytes(final long pid, final String key)
    {
        try
        {
            for (final String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"), StandardCharsets.US_ASCII))
            {
                if (line.startsWith(key))
                {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        return -1;
    }

    static String httpGet(final String url) throws IOException
    {
        final HttpURLConnection c = (HttpURLConnection)new URL(url).openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(60_000);
        try (InputStream in = c.getInputStream())
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        finally
        {
            c.disconnect();
        }
    }

    static double number(final String json, final String key, final double otherwise)
    {
        final Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9.]+)").matcher(json == null ? "" : json);
        return m.find() ? Double.parseDouble(m.group(1)) : otherwise;
    }

    private static long countLines(final Path file, final String needle) throws IOException
    {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter((l) -> l.contains(needle)).count();
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (java.util.stream.Stream<Path> s = Files.walk(dir))
        {
            s.sorted(Collections.reverseOrder()).forEach((p) -> p.toFile().delete());
        }
    }

    static double median(final List<Double> values)
    {
        final List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        final int n = v.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    // =========================================================================================
    // options and results
    // =========================================================================================

    /** Validated options; see the class Javadoc for the mode defaults. */
    public static final class Options
    {
        public static final String USAGE = "usage: LoadTest [--mode ci|full] [--allocators a,b] [--scenarios hello,bytes,echo] " +
            "[--duration S] [--warmup S] [--rounds N] [--connections C] [--wrk-threads T] [--max-requests N] " +
            "[--server-threads N] [--leak-level disabled|simple|advanced|paranoid] [--server-jvm-args \"...\"] [--out DIR] " +
            "[--java PATH] [--classpath CP]";

        String mode = "ci";
        List<String> allocators = Arrays.asList("arena", "pooled");
        List<String> scenarios = Arrays.asList("hello", "bytes", "echo");
        int durationSeconds;
        int warmupSeconds;
        int rounds;
        int connections = 32;
        int wrkThreads = 2;
        long maxRequests;
        int serverThreads = 2;
        String leakLevel;
        String serverJvmArgs = DEFAULT_SERVER_JVM_ARGS;
        Path out = Paths.get("target", "netty-load");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

        public static Options parse(final String... args)
        {
            final Map<String, String> given = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++)
            {
                if (!args[i].startsWith("--") || i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'");
                }
                given.put(args[i], args[++i]);
            }
            final Options o = new Options();
            o.mode(given.getOrDefault("--mode", "ci"));
            for (final Map.Entry<String, String> e : given.entrySet())
            {
                final String v = e.getValue();
                switch (e.getKey())
                {
                    case "--mode":
                        break;
                    case "--allocators":
                        o.allocators = list(e.getKey(), v, Arrays.asList("arena", "pooled", "adaptive", "unpooled"));
                        break;
                    case "--scenarios":
                        o.scenarios = list(e.getKey(), v, Arrays.asList("hello", "bytes", "echo"));
                        break;
                    case "--duration":
                        o.durationSeconds = (int)longIn(e.getKey(), v, 1, 3600);
                        break;
                    case "--warmup":
                        o.warmupSeconds = (int)longIn(e.getKey(), v, 1, 3600);
                        break;
                    case "--rounds":
                        o.rounds = (int)longIn(e.getKey(), v, 1, 100);
                        break;
                    case "--connections":
                        o.connections = (int)longIn(e.getKey(), v, 1, 10_000);
                        break;
                    case "--wrk-threads":
                        o.wrkThreads = (int)longIn(e.getKey(), v, 1, 64);
                        break;
                    case "--max-requests":
                        o.maxRequests = longIn(e.getKey(), v, 0, Long.MAX_VALUE / 2);
                        break;
                    case "--server-threads":
                        o.serverThreads = (int)longIn(e.getKey(), v, 1, 256);
                        break;
                    case "--leak-level":
                        o.leakLevel = HttpServer.Options.parse("--leak-level", v).leakLevel.name().toLowerCase(Locale.ROOT);
                        break;
                    case "--server-jvm-args":
                        o.serverJvmArgs = v;
                        break;
                    case "--out":
                        o.out = Paths.get(v);
                        break;
                    case "--java":
                        o.java = v;
                        break;
                    case "--classpath":
                        o.classpath = v;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + e.getKey());
                }
            }
            if (o.wrkThreads > o.connections)
            {
                throw new IllegalArgumentException("--wrk-threads " + o.wrkThreads + " > --connections " + o.connections +
                    ", expected at least one connection per wrk thread");
            }
            return o;
        }

        private void mode(final String m)
        {
            switch (m)
            {
                case "ci":
                    durationSeconds = 3;
                    warmupSeconds = 1;
                    rounds = 1;
                    maxRequests = 100_000;
                    leakLevel = "paranoid";
                    break;
                case "full":
                    durationSeconds = 15;
                    warmupSeconds = 5;
                    rounds = 3;
                    maxRequests = 5_000_000;
                    leakLevel = "simple";
                    break;
                default:
                    throw new IllegalArgumentException("--mode " + m + ", expected ci or full");
            }
            mode = m;
        }

        private static List<String> list(final String name, final String value, final List<String> allowed)
        {
            final List<String> l = new ArrayList<>();
            for (final String s : value.split(","))
            {
                final String t = s.trim();
                if (!allowed.contains(t))
                {
                    throw new IllegalArgumentException(name + " " + value + ": '" + t + "', expected some of " + allowed);
                }
                if (!l.contains(t))
                {
                    l.add(t);
                }
            }
            return l;
        }

        private static long longIn(final String name, final String value, final long min, final long max)
        {
            final long v;
            try
            {
                v = Long.parseLong(value.trim());
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

    /** One server JVM: one allocator, one round. */
    public static final class ServerRun
    {
        final String allocator;
        final int round;
        long pid;
        long rssStartBytes;
        long rssEndBytes;
        long hwmBytes;
        long leaks = -1;
        long serverLogLeakLines;
        String stats;
        final Map<String, Map<String, Double>> scenarios = new LinkedHashMap<>();

        ServerRun(final String allocator, final int round)
        {
            this.allocator = allocator;
            this.round = round;
        }

        long errors()
        {
            long n = 0;
            for (final Map<String, Double> f : scenarios.values())
            {
                for (final String k : new String[] {"errors_connect", "errors_read", "errors_write", "errors_status",
                    "errors_timeout"})
                {
                    n += f.getOrDefault(k, 0.0).longValue();
                }
            }
            return n;
        }
    }

    /** Everything measured, and the report built from it. */
    public static final class Result
    {
        final Options options;
        final List<ServerRun> servers = new ArrayList<>();
        final String started = Instant.now().toString();
        final String loadAverage = loadAverage();
        String wrkVersion;
        /** Why nothing was measured (wrk unavailable), or null. */
        public String skipped;
        public String markdown = "";

        Result(final Options options)
        {
            this.options = options;
        }

        public long totalLeaks()
        {
            long n = 0;
            for (final ServerRun s : servers)
            {
                n += Math.max(0, s.leaks) + s.serverLogLeakLines;
            }
            return n;
        }

        public long totalErrors()
        {
            long n = 0;
            for (final ServerRun s : servers)
            {
                n += s.errors();
            }
            return n;
        }

        /** Median of one figure over the rounds of one allocator and scenario. */
        public double median(final String allocator, final String scenario, final String figure)
        {
            final List<Double> v = new ArrayList<>();
            for (final ServerRun s : servers)
            {
                if (s.allocator.equals(allocator) && s.scenarios.containsKey(scenario))
                {
                    v.add(s.scenarios.get(scenario).get(figure));
                }
            }
            return LoadTest.median(v);
        }

        /** Median over rounds of a per-server figure: rssEnd, hwm, leaks. */
        public double medianServer(final String allocator, final String figure)
        {
            final List<Double> v = new ArrayList<>();
            for (final ServerRun s : servers)
            {
                if (s.allocator.equals(allocator))
                {
                    v.add((double)(figure.equals("rssEnd") ? s.rssEndBytes : figure.equals("hwm") ? s.hwmBytes :
                        figure.equals("rssStart") ? s.rssStartBytes : s.leaks));
                }
            }
            return LoadTest.median(v);
        }

        void finish()
        {
            markdown = markdown();
        }

        private static String loadAverage()
        {
            try
            {
                return new String(Files.readAllBytes(Paths.get("/proc/loadavg")), StandardCharsets.US_ASCII).trim();
            }
            catch (final IOException ex)
            {
                return "unknown";
            }
        }

        private String machine()
        {
            return Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version") +
                ", " + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", " + wrkVersion +
                ", load average at start " + loadAverage;
        }

        private static String mib(final double bytes)
        {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
        }

        private static String ms(final double micros)
        {
            return String.format(Locale.ROOT, "%.2f ms", micros / 1000);
        }

        private String markdown()
        {
            final Options o = options;
            final StringBuilder s = new StringBuilder();
            s.append("## Netty HTTP load: ArenaByteBufAllocator beside Netty's allocators\n\n");
            s.append("- started ").append(started).append(", mode `").append(o.mode).append("`, ").append(machine())
                .append('\n');
            s.append("- wrk ").append(o.wrkThreads).append(" threads, ").append(o.connections).append(" connections, ")
                .append(o.durationSeconds).append(" s per scenario (at most ").append(o.maxRequests)
                .append(" requests; 0 = unbounded), warm-up ").append(o.warmupSeconds).append(" s per scenario, ")
                .append(o.rounds).append(" round(s), allocator order alternating between rounds\n");
            s.append("- server: its own JVM per allocator and round, `").append(o.serverJvmArgs).append("`, ")
                .append(o.serverThreads).append(" NIO event loops, leak detection `").append(o.leakLevel)
                .append("`, 127.0.0.1 only\n");
            s.append("- scenarios: `hello` GET / (13 B), `bytes` GET /bytes/16384 (body grown to 16 KiB), ")
                .append("`echo` POST /echo 4 KiB (aggregated composite sent back)\n\n");
            s.append("Medians over rounds. Latency in ms (wrk, closed loop). RSS = VmRSS of the server after the ")
                .append("scenario; HWM = VmHWM (peak) at the end.\n\n");
            s.append("| scenario | allocator | req/s | p50 | p90 | p99 | p99.9 | max | errors | RSS after |\n");
            s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (final String sc : o.scenarios)
            {
                for (final String a : o.allocators)
                {
                    s.append("| ").append(sc).append(" | ").append(a).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f", median(a, sc, "rps"))).append(" | ")
                        .append(ms(median(a, sc, "p50_us"))).append(" | ").append(ms(median(a, sc, "p90_us"))).append(" | ")
                        .append(ms(median(a, sc, "p99_us"))).append(" | ").append(ms(median(a, sc, "p999_us")))
                        .append(" | ").append(ms(median(a, sc, "max_us"))).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f", median(a, sc, "errors_connect") +
                            median(a, sc, "errors_read") + median(a, sc, "errors_write") +
                            median(a, sc, "errors_status") + median(a, sc, "errors_timeout"))).append(" | ")
                        .append(mib(median(a, sc, "rss_after_bytes"))).append(" |\n");
                }
            }
            s.append("\n| allocator | RSS at start | RSS at end | peak RSS (HWM) | leaks reported (detector + log) |\n");
            s.append("|---|---:|---:|---:|---:|\n");
            for (final String a : o.allocators)
            {
                long logLeaks = 0;
                for (final ServerRun r : servers)
                {
                    logLeaks += r.allocator.equals(a) ? r.serverLogLeakLines : 0;
                }
                s.append("| ").append(a).append(" | ").append(mib(medianServer(a, "rssStart"))).append(" | ")
                    .append(mib(medianServer(a, "rssEnd"))).append(" | ").append(mib(medianServer(a, "hwm")))
                    .append(" | ").append(String.format(Locale.ROOT, "%.0f", medianServer(a, "leaks"))).append(" + ")
                    .append(logLeaks).append(" |\n");
            }
            if (o.allocators.contains("arena") && o.allocators.contains("pooled"))
            {
                s.append("\nRatios arena / pooled (req/s: higher is better; p99 and RSS: lower is better):\n\n");
                s.append("| scenario | req/s | p50 | p99 | RSS after |\n|---|---:|---:|---:|---:|\n");
                for (final String sc : o.scenarios)
                {
                    s.append("| ").append(sc).append(" | ")
                        .append(ratio(median("arena", sc, "rps"), median("pooled", sc, "rps"))).append(" | ")
                        .append(ratio(median("arena", sc, "p50_us"), median("pooled", sc, "p50_us"))).append(" | ")
                        .append(ratio(median("arena", sc, "p99_us"), median("pooled", sc, "p99_us"))).append(" | ")
                        .append(ratio(median("arena", sc, "rss_after_bytes"), median("pooled", sc, "rss_after_bytes")))
                        .append(" |\n");
                }
                s.append("| peak RSS (HWM) | | | | ")
                    .append(ratio(medianServer("arena", "hwm"), medianServer("pooled", "hwm"))).append(" |\n");
            }
            s.append("\nEvery round:\n\n| round | allocator | scenario | req/s | p50 | p99 | RSS after |\n")
                .append("|---:|---|---|---:|---:|---:|---:|\n");
            for (final ServerRun r : servers)
            {
                for (final Map.Entry<String, Map<String, Double>> e : r.scenarios.entrySet())
                {
                    final Map<String, Double> f = e.getValue();
                    s.append("| ").append(r.round).append(" | ").append(r.allocator).append(" | ").append(e.getKey())
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f", f.get("rps"))).append(" | ")
                        .append(ms(f.get("p50_us"))).append(" | ").append(ms(f.get("p99_us"))).append(" | ")
                        .append(mib(f.get("rss_after_bytes"))).append(" |\n");
                }
            }
            return s.toString();
        }

        private static String ratio(final double a, final double b)
        {
            return String.format(Locale.ROOT, "%.2f", a / b);
        }

        String json()
        {
            final Options o = options;
            final StringBuilder s = new StringBuilder("{\n");
            s.append("  \"started\": \"").append(started).append("\",\n");
            s.append("  \"mode\": \"").append(o.mode).append("\",\n");
            s.append("  \"machine\": {\"cores\": ").append(Runtime.getRuntime().availableProcessors())
                .append(", \"java\": \"").append(System.getProperty("java.version")).append("\", \"os\": \"")
                .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append("\", \"wrk\": \"").append(wrkVersion).append("\", \"loadavg\": \"").append(loadAverage)
                .append("\"},\n");
            s.append("  \"settings\": {\"wrkThreads\": ").append(o.wrkThreads).append(", \"connections\": ")
                .append(o.connections).append(", \"durationSeconds\": ").append(o.durationSeconds)
                .append(", \"warmupSeconds\": ").append(o.warmupSeconds).append(", \"rounds\": ").append(o.rounds)
                .append(", \"maxRequests\": ").append(o.maxRequests).append(", \"serverThreads\": ")
                .append(o.serverThreads).append(", \"leakLevel\": \"").append(o.leakLevel)
                .append("\", \"serverJvmArgs\": \"").append(o.serverJvmArgs).append("\"},\n");
            s.append("  \"results\": [\n");
            boolean first = true;
            for (final String sc : o.scenarios)
            {
                for (final String a : o.allocators)
                {
                    s.append(first ? "" : ",\n");
                    first = false;
                    s.append("    {\"scenario\": \"").append(sc).append("\", \"allocator\": \"").append(a).append('"');
                    for (final String f : new String[] {"rps", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
                        "requests", "errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout",
                        "rss_after_bytes", "hwm_after_bytes"})
                    {
                        s.append(", \"").append(f).append("\": ")
                            .append(String.format(Locale.ROOT, "%.1f", median(a, sc, f)));
                    }
                    s.append('}');
                }
            }
            s.append("\n  ],\n  \"servers\": [\n");
            for (int i = 0; i < servers.size(); i++)
            {
                final ServerRun r = servers.get(i);
                s.append("    {\"allocator\": \"").append(r.allocator).append("\", \"round\": ").append(r.round)
                    .append(", \"rssStartBytes\": ").append(r.rssStartBytes).append(", \"rssEndBytes\": ")
                    .append(r.rssEndBytes).append(", \"hwmBytes\": ").append(r.hwmBytes).append(", \"leaks\": ")
                    .append(r.leaks).append(", \"logLeakLines\": ").append(r.serverLogLeakLines)
                    .append(", \"stats\": ").append(r.stats == null ? "null" : r.stats).append('}')
                    .append(i + 1 < servers.size() ? ",\n" : "\n");
            }
            s.append("  ]\n}\n");
            return s.toString();
        }
    }
}
