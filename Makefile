# Makefile — builds build/libpromptlog.so (the preload library) and build/prompt-logger (the CLI),
# runs the unit and integration tests, the AddressSanitizer/UBSan pass and the demo.
# Sources are found by wildcard: a new .c file in a module directory needs no edit here.

BUILD   ?= build
CC      ?= cc
SAN     ?=
OPT     ?= -O2
PKGS    := libcurl sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2
LINK_PKGS := sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2

# The package flags are asked of pkg-config only when a recipe first needs them, i.e. after
# $(BUILD)/.deps-ok (every object depends on it) has installed the packages on a fresh machine;
# asked at parse time they would come back empty there and the link would fail. Computed once.
lazy = $(eval $(1) := $$(shell pkg-config $(2) 2>/dev/null))$($(1))
PKG_CFLAGS  = $(call lazy,PKG_CFLAGS,--cflags $(PKGS))
PKG_LIBS    = $(call lazy,PKG_LIBS,--libs $(LINK_PKGS))
CURL_LIBS   = $(call lazy,CURL_LIBS,--libs libcurl)
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -DCURL_DISABLE_TYPECHECK -Wall -Wextra -Werror $(OPT) -g \
              -fPIC -fvisibility=hidden -MMD -MP $(SAN) $(PKG_CFLAGS) $(CFLAGS)
# One section per function and object, so the preloaded object's --gc-sections link (below)
# drops what its shared sources hold for the engine only (llm/registry.c's normalizer table).
CFLAGS_ALL += -ffunction-sections -fdata-sections
LIBS       = $(PKG_LIBS) -ldl -lpthread
# Only the CLI links libcurl (ship's OTLP/HTTP); the preload library never does.
CLI_LIBS    = $(CURL_LIBS)

CORE_SRC     := $(wildcard util/*.c proto/*.c llm/*.c store/*.c)
PRELOAD_SRC  := $(wildcard preload/*.c)
EXPORTER_SRC := $(wildcard exporter/*.c)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
EXAMPLE_SRC  := $(wildcard examples/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_OBJ     := $(call obj,$(CORE_SRC))
PRELOAD_OBJ  := $(call obj,$(PRELOAD_SRC))
EXPORTER_OBJ := $(call obj,$(EXPORTER_SRC))
UNIT_BIN     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
EXAMPLE_BIN  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))

.PHONY: all deps test-deps unit integration test asan demo bench clean fuzz fuzz-regress fuzz-bins
.PHONY: profile

all: $(BUILD)/libpromptlog.so $(BUILD)/libpromptlog-engine.so $(BUILD)/prompt-logger $(EXAMPLE_BIN)

deps:
	@scripts/deps.sh build
test-deps:
	@scripts/deps.sh test

# The build checks its packages once per build directory; `make deps` checks again.
$(BUILD)/.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/obj/%.o: %.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# Assembly stubs of the preload library (preload/go_stub.S: the Go hooks; test_go_patch includes it).
PRELOAD_OBJ += $(patsubst %.S,$(BUILD)/obj/%.o,$(wildcard preload/*.S))
$(BUILD)/tests/test_go_patch: preload/go_stub.S
$(BUILD)/obj/%.o: %.S $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# The preloaded object needs libc only (every process pays for what it maps): the hooks, the
# connection table, the HTTP/1 reassembler and endpoint matching. The capture engine (HTTP/2,
# decoders, normalizers, store) is a second object it dlopen's on the first LLM call, reached
# through one table (preload/engine.h); preload/fwd/ forwards pl_h2_*/pl_decoder_* to it.
# --no-undefined proves we link neither libcurl/libssl/gnutls (dlsym'ed) nor the engine's libs.
PRELOAD_CORE_SRC := util/buf.c proto/exchange.c proto/http1.c llm/endpoint.c \
                    proto/http1_head.c proto/body.c util/url.c util/headers.c util/elf.c \
                    llm/registry.c llm/path.c llm/openai.c llm/anthropic.c llm/gemini.c llm/ollama.c
# ASan registers every global from a constructor, which would keep the provider files'
# normalizer tables (and their cJSON calls) alive through --gc-sections: not for those files.
# (GCC's option; the clang fuzz build never links the preloaded object, so it needs none.)
ifneq ($(findstring address,$(SAN)),)
ifeq ($(findstring fuzzer,$(SAN)),)
$(call obj,llm/openai.c llm/anthropic.c llm/gemini.c llm/ollama.c): CFLAGS_ALL += --param asan-globals=0
endif
endif
ENGINE_SRC   := $(filter-out engine/host.c,$(wildcard engine/*.c))
ENGINE_OBJ   := $(call obj,$(ENGINE_SRC))
PRELOAD_LINK_OBJ := $(PRELOAD_OBJ) $(call obj,$(PRELOAD_CORE_SRC) $(wildcard preload/fwd/*.c))
$(BUILD)/libpromptlog.so: $(PRELOAD_LINK_OBJ)
	$(CC) -shared -Wl,--no-undefined -Wl,--gc-sections -Wl,-z,nodelete $(SAN) -o $@ $^ -Wl,--as-needed -ldl -lpthread

# engine/host.c answers the runtime calls of the engine's code with the preloaded library's state.
$(BUILD)/libpromptlog-engine.so: $(CORE_OBJ) $(ENGINE_OBJ) $(BUILD)/obj/engine/host.o
	$(CC) -shared -Wl,--no-undefined -Wl,-z,nodelete $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/prompt-logger: $(CORE_OBJ) $(EXPORTER_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LIBS) $(CLI_LIBS)

# The report's HTML template is compiled into the CLI (scripts/embed.sh makes a C string of it).
$(BUILD)/gen/report_template.h: exporter/report_template.html scripts/embed.sh
	@mkdir -p $(dir $@)
	scripts/embed.sh pl_report_template $< > $@
$(BUILD)/obj/exporter/report.o: $(BUILD)/gen/report_template.h
$(BUILD)/obj/exporter/report.o: CFLAGS_ALL += -I$(BUILD)/gen

# The shipped price table (data/prices.txt) is compiled into the CLI as a C string.
$(BUILD)/gen/prices_builtin.h: data/prices.txt
	@mkdir -p $(dir $@)
	@{ echo 'static const char PL_BUILTIN_PRICES[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/    "&\\n"/' $<; echo '    "";'; } > $@
PRICES_USERS := $(BUILD)/obj/exporter/prices.o $(BUILD)/tests/test_cli $(BUILD)/tests/test_export
$(PRICES_USERS): $(BUILD)/gen/prices_builtin.h
$(PRICES_USERS): CFLAGS_ALL += -I$(BUILD)/gen

$(BUILD)/examples/%: examples/%.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fvisibility=default -o $@ $< $(CURL_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ) $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(CORE_OBJ) $(LIBS) -lcmocka

# Unit tests of preload internals link the preload objects too (their hooks then interpose
# libc's functions inside the test program itself, as they do in a host).
PRELOAD_UNIT_BIN := $(BUILD)/tests/test_conn $(BUILD)/tests/test_hook_socket
$(PRELOAD_UNIT_BIN): $(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ) $(PRELOAD_OBJ) $(ENGINE_OBJ) $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(PRELOAD_OBJ) $(CORE_OBJ) $(ENGINE_OBJ) $(LIBS) -lcmocka

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; PROMPTLOG_FIXTURES=$(CURDIR)/tests/fixtures $$t || fail=1; \
	done; exit $$fail

integration: all
	@BUILD=$(BUILD) tests/integration/run.sh

test: test-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

# Same tests, instrumented. The integration runner preloads the ASan runtime before us.
ASAN_VARS := BUILD=build-asan OPT=-O1 \
  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# One goal per sub-make, so `make -jN asan` builds in parallel but never runs unit and
# integration tests at the same time.
asan: test-deps
	@$(MAKE) --no-print-directory $(ASAN_VARS) all
	@$(MAKE) --no-print-directory $(ASAN_VARS) unit
	@$(MAKE) --no-print-directory $(ASAN_VARS) integration

# Sequential: `make -j demo` must not run two package installs at once.
demo: test-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

# The demo's mock server, kept running so the lines `make demo` prints can be pasted.
.PHONY: demo-server
demo-server: test-deps all
	@BUILD=$(BUILD) scripts/demo-server.sh

bench: test-deps all
	@BUILD=$(BUILD) bench/run.sh

# Callgrind breakdown of one captured exchange (bench/profile.sh); needs valgrind.
profile: all
	@scripts/deps.sh profile
	@BUILD=$(BUILD) bench/profile.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): clang builds the core with coverage and ASan/UBSan
# into build-fuzz/, then scripts/fuzz.sh runs each harness for FUZZ_SECONDS (default 60) or, for
# fuzz-regress, replays the seed corpora and kept crashing inputs once.
FUZZ_VARS := BUILD=build-fuzz CC=clang OPT=-O1 \
  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(CORE_OBJ) $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(CORE_OBJ) $(LIBS)

fuzz-bins: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_VARS) fuzz-bins
	@BUILD=build-fuzz scripts/fuzz.sh run

fuzz-regress:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_VARS) fuzz-bins
	@BUILD=build-fuzz scripts/fuzz.sh regress

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The loadable sqlite3 extension (`.load build/promptlog`, ext/promptlog.c): exact bodies as text.
# Its objects are built apart, never sanitized (it is loaded into hosts such as the sqlite3 shell
# or Python that are not), and store/bodies.c goes through the extension API table (sqlite3ext.h).
EXT_SRC := ext/promptlog.c store/bodies.c store/zblob.c util/buf.c
EXT_OBJ := $(patsubst %.c,$(BUILD)/obj/ext-so/%.o,$(EXT_SRC))
$(EXT_OBJ): $(BUILD)/obj/ext-so/%.o: %.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(CFLAGS_ALL)) -DPL_SQLITE_EXTENSION -c $< -o $@
$(BUILD)/promptlog.so: $(EXT_OBJ)
	$(CC) -shared -Wl,--no-undefined -o $@ $^ $(shell pkg-config --libs libzstd 2>/dev/null)
all: $(BUILD)/promptlog.so
$(BUILD)/tests/test_ext: $(BUILD)/promptlog.so

# make install PREFIX=/usr/local DESTDIR=: the CLI, the preload library and its capture engine in
# lib/promptlog/ (where `prompt-logger run` looks for it, relative to its own binary; the library
# loads the engine from its own directory), the sqlite3 extension when it
# was built, the man pages and the shipped price table. `make uninstall` removes exactly these.
PREFIX ?= /usr/local
INSTALL_FILES := bin/prompt-logger lib/promptlog/libpromptlog.so lib/promptlog/libpromptlog-engine.so \
                 lib/promptlog/promptlog.so \
                 share/man/man1/prompt-logger.1 share/man/man7/promptlog.7 share/promptlog/prices.txt
.PHONY: install uninstall
install: $(BUILD)/libpromptlog.so $(BUILD)/libpromptlog-engine.so $(BUILD)/prompt-logger
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/promptlog $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/promptlog
	install -m 0755 $(BUILD)/prompt-logger $(DESTDIR)$(PREFIX)/bin/prompt-logger
	install -m 0644 $(BUILD)/libpromptlog.so $(DESTDIR)$(PREFIX)/lib/promptlog/libpromptlog.so
	install -m 0644 $(BUILD)/libpromptlog-engine.so $(DESTDIR)$(PREFIX)/lib/promptlog/libpromptlog-engine.so
	if [ -e $(BUILD)/promptlog.so ]; then \
	    install -m 0644 $(BUILD)/promptlog.so $(DESTDIR)$(PREFIX)/lib/promptlog/promptlog.so; fi
	install -m 0644 man/prompt-logger.1 $(DESTDIR)$(PREFIX)/share/man/man1/prompt-logger.1
	install -m 0644 man/promptlog.7 $(DESTDIR)$(PREFIX)/share/man/man7/promptlog.7
	install -m 0644 data/prices.txt $(DESTDIR)$(PREFIX)/share/promptlog/prices.txt
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALL_FILES))
	-rmdir $(DESTDIR)$(PREFIX)/lib/promptlog $(DESTDIR)$(PREFIX)/share/promptlog 2>/dev/null
