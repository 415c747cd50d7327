/*
 * Resets.java - the JDK's own sockets closing abortively, for
 * tests/real/real_truth.sh (run as a single-file program: java Resets.java).
 *
 *   server PORT N   accept N connections; each: SO_LINGER 0, read a byte,
 *                   close (a RST)
 *   client PORT N   N connections; each: read one byte of what the server
 *                   sends, close with the rest unread (a RST)
 *   blocked PORT N  N connections to a server that waits for a request;
 *                   each: a reader thread blocked in read, SO_LINGER 0 and
 *                   close from another thread (a RST)
 */
import java.io.*;
import java.net.*;

public class Resets {
    public static void main(String[] a) throws Exception {
        String mode = a[0];
        int port = Integer.parseInt(a[1]), n = Integer.parseInt(a[2]);
        if (mode.equals("server")) {
            try (ServerSocket l = new ServerSocket(port, 64, InetAddress.getLoopbackAddress())) {
                System.out.println("ready");
                System.out.flush();
                for (int i = 0; i < n; i++) {
                    Socket s = l.accept();
                    s.setSoLinger(true, 0);
                    s.getInputStream().read();
                    s.close();
                }
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
            if (mode.equals("client")) {
                s.getInputStream().read();
                s.close();
                continue;
            }
            Thread reader = new Thread(() -> {
                try { s.getInputStream().read(); } catch (IOException e) { }
            });
            reader.start();
            while (reader.getState() == Thread.State.NEW) Thread.sleep(1);
            Thread.sleep(5);
            s.setSoLinger(true, 0);
            s.close();
            reader.join();
        }
    }
}
