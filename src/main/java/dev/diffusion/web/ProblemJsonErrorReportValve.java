package dev.diffusion.web;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * The servlet container's own refusals as problem details: requests it rejects before any filter or controller sees
 * them (an encoded slash, {@code %00} or a bad escape in the path, an unreadable header) would otherwise get its
 * HTML error page. Installed as the host's error report valve; says nothing of the container or the cause.
 */
public class ProblemJsonErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        String title = known != null ? known.getReasonPhrase() : "Error";
        String detail = status == HttpStatus.BAD_REQUEST.value()
                ? "the request could not be read: its path or headers are malformed"
                : "the request could not be handled: " + title.toLowerCase(java.util.Locale.ROOT);
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer out = response.getReporter();
            if (out != null) {
                out.write("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                        + ",\"detail\":\"" + detail + "\"}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away; nothing more to tell it
        }
    }
}
