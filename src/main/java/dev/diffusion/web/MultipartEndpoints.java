package dev.diffusion.web;

/**
 * The endpoints of a feature that take their body as {@code multipart/form-data} (file uploads) instead of JSON; a
 * bean of each feature that has any. {@link MalformedRequestFilter} lets such bodies through to them, and to them
 * alone.
 */
public interface MultipartEndpoints {

    /** Whether requests to {@code path} (within the application) send a multipart/form-data body. */
    boolean takesMultipart(String path);
}
