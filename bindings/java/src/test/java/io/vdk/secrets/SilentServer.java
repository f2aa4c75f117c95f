package io.vdk.secrets;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain HTTP listener on 127.0.0.1 that reads each request and never answers, so a call to
 * it stays in flight until its caller gives up. It tells when a request arrived (with its
 * header lines) and when the client closed the connection, which is how tests see that a
 * cancelled call really dropped its request.
 */
final class SilentServer implements AutoCloseable {
    private final ServerSocket socket;
    private final LinkedBlockingQueue<String> requests = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Long> closedAtNanos = new LinkedBlockingQueue<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    SilentServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        acceptor = new Thread(this::acceptLoop, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** A configuration without a token (so no token exchange comes first), with long timeouts. */
    SecretsConfig.Builder config() {
        return SecretsConfig.builder()
                .controlServiceRestApiUrl(url())
                .controlHttpReadTimeoutSeconds(60)
                .controlHttpDeadlineSeconds(60);
    }

    int connectionCount() {
        return connections.size();
    }

    /** The head of the next request (request line and headers), or null if none came in time. */
    String awaitRequest(long millis) throws InterruptedException {
        return requests.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** System.nanoTime() when the client closed a connection, or null if none closed in time. */
    Long awaitClosed(long millis) throws InterruptedException {
        return closedAtNanos.poll(millis, TimeUnit.MILLISECONDS);
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.add(connection);
                Thread reader = new Thread(() -> serve(connection), "silent-server-connection");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (InputStream in = connection.getInputStream()) {
            StringBuilder head = new StringBuilder();
            int b;
            while ((b = in.read()) != -1) {
                head.append((char) b);
                if (head.toString().endsWith("\r\n\r\n")) {
                    requests.add(new String(head.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
                    head.setLength(0);
                }
            }
            closedAtNanos.add(System.nanoTime());
        } catch (IOException reset) {
            closedAtNanos.add(System.nanoTime());
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket connection : connections) {
            connection.close();
        }
    }
}
