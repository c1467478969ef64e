package dev.diffusion.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

    private static final String ALICE_KEY = "alice-0123456789abcdef";
    private static final String BOB_KEY = "bob-0123456789abcdef";
    private static final ApiKeys KEYS = ApiKeys.parse(List.of("alice:" + ALICE_KEY, BOB_KEY));

    @Test
    void namedAndUnnamedKeysAuthenticateAsTheirOwnClient() {
        ApiClient alice = KEYS.authenticate(ALICE_KEY).orElseThrow();
        ApiClient bob = KEYS.authenticate(BOB_KEY).orElseThrow();

        assertThat(KEYS.enabled()).isTrue();
        assertThat(alice.name()).isEqualTo("alice");
        assertThat(bob.name()).startsWith("key-").doesNotContain(BOB_KEY);
        assertThat(alice.owner()).matches("[0-9a-f]{32}").isNotEqualTo(bob.owner()).doesNotContain(ALICE_KEY);
        assertThat(KEYS.authenticate(ALICE_KEY).orElseThrow()).isEqualTo(alice);
        assertThat(ApiKeys.parse(List.of(ALICE_KEY)).authenticate(ALICE_KEY).orElseThrow().owner())
                .as("the owner comes from the key alone, not its name").isEqualTo(alice.owner());
    }

    @Test
    void nearMissesDoNotAuthenticate() {
        assertThat(KEYS.authenticate("")).isEmpty();
        assertThat(KEYS.authenticate(ALICE_KEY + " ")).isEmpty();
        assertThat(KEYS.authenticate(ALICE_KEY.toUpperCase())).isEmpty();
        assertThat(KEYS.authenticate(ALICE_KEY.substring(1))).isEmpty();
        assertThat(KEYS.authenticate("alice:" + ALICE_KEY)).isEmpty();
    }

    @Property(tries = 500)
    void noOtherStringAuthenticates(@ForAll @StringLength(max = 64) String presented) {
        boolean configured = presented.equals(ALICE_KEY) || presented.equals(BOB_KEY);
        assertThat(KEYS.authenticate(presented).isPresent()).isEqualTo(configured);
    }

    @Test
    void noKeysMeansTheApiIsOpen() {
        assertThat(ApiKeys.parse(List.of()).enabled()).isFalse();
        assertThat(ApiKeys.parse(List.of()).authenticate(ALICE_KEY)).isEmpty();
    }

    @Test
    void refusesShortKeysBadNamesAndRepeatsWithoutRevealingKeys() {
        assertThatThrownBy(() -> ApiKeys.parse(List.of("short-key")))
                .hasMessageContaining("at least 16").hasMessageNotContaining("short-key");
        assertThatThrownBy(() -> ApiKeys.parse(List.of("a name:" + ALICE_KEY)))
                .hasMessageContaining("name").hasMessageNotContaining(ALICE_KEY);
        assertThatThrownBy(() -> ApiKeys.parse(List.of("a:" + ALICE_KEY, "b:" + ALICE_KEY)))
                .hasMessageContaining("twice").hasMessageNotContaining(ALICE_KEY);
        assertThatThrownBy(() -> ApiKeys.parse(List.of("a:" + ALICE_KEY, "a:" + BOB_KEY)))
                .hasMessageContaining("twice");
    }
}
