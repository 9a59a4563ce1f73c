-- LedgerFlow source database: the `bank` schema captured by Debezium (or ledgerflow's
-- mysql_cdc input). Columns, types, nullability and primary keys must match
-- schemas/*.yaml exactly; inputs/mysql's TestInitSQLMatchesContracts checks it.
--
-- The server must write a row-based binlog with full row images:
--   log_bin, binlog_format=ROW, binlog_row_image=FULL, a unique server_id
-- (MariaDB: also keep binlog_annotate_row_events at its default; GTIDs are always on).

CREATE DATABASE IF NOT EXISTS bank CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

USE bank;

CREATE TABLE IF NOT EXISTS customers (
  customer_id   BIGINT       NOT NULL,
  first_name    VARCHAR(100) NOT NULL,
  last_name     VARCHAR(100) NOT NULL,
  email         VARCHAR(255) NOT NULL,
  phone         VARCHAR(32)  NULL,
  date_of_birth DATE         NULL,
  country       CHAR(2)      NULL,
  kyc_status    ENUM('pending','verified','rejected') NOT NULL,
  risk_rating   TINYINT UNSIGNED NULL,
  created_at    DATETIME(3)  NOT NULL,
  updated_at    DATETIME(3)  NULL,
  PRIMARY KEY (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS accounts (
  account_id        BIGINT        NOT NULL,
  customer_id       BIGINT        NOT NULL,
  account_type      ENUM('checking','savings','credit','loan') NOT NULL,
  currency          CHAR(3)       NOT NULL,
  balance           DECIMAL(18,2) NOT NULL,
  credit_limit      DECIMAL(18,2) NULL,
  status            ENUM('active','frozen','closed') NOT NULL,
  overdraft_allowed TINYINT(1)    NULL,
  created_at        DATETIME(3)   NOT NULL,
  updated_at        DATETIME(3)   NULL,
  PRIMARY KEY (account_id),
  KEY idx_accounts_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS merchants (
  merchant_id   BIGINT        NOT NULL,
  name          VARCHAR(200)  NOT NULL,
  mcc           CHAR(4)       NOT NULL,
  country       CHAR(2)       NOT NULL,
  city          VARCHAR(100)  NULL,
  lat           DECIMAL(9,6)  NULL,
  lon           DECIMAL(9,6)  NULL,
  risk_tier     ENUM('low','medium','high') NOT NULL,
  onboarded_at  DATETIME(3)   NOT NULL,
  updated_at    DATETIME(3)   NULL,
  PRIMARY KEY (merchant_id),
  KEY idx_merchants_mcc (mcc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS transactions (
  transaction_id    BIGINT        NOT NULL,
  account_id        BIGINT        NOT NULL,
  customer_id       BIGINT        NOT NULL,
  merchant_id       BIGINT        NULL,
  amount            DECIMAL(18,2) NOT NULL,
  currency          CHAR(3)       NOT NULL,
  status            ENUM('pending','completed','failed','reversed') NOT NULL,
  transaction_type  ENUM('purchase','withdrawal','transfer','deposit','refund') NOT NULL,
  channel           ENUM('card_present','online','atm','mobile','branch') NULL,
  merchant_category CHAR(4)       NULL,
  device_id         VARCHAR(64)   NULL,
  country           CHAR(2)       NULL,
  ip_address        VARCHAR(45)   NULL,
  event_ts          DATETIME(3)   NOT NULL,
  created_at        DATETIME(3)   NOT NULL,
  updated_at        DATETIME(3)   NULL,
  PRIMARY KEY (transaction_id),
  KEY idx_transactions_account (account_id),
  KEY idx_transactions_merchant (merchant_id),
  KEY idx_transactions_event_ts (event_ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The Debezium connector's user, with the grants its MySQL/MariaDB documentation lists.
-- Change the password before production (or create the user out of band and drop these lines).
CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY 'dbz';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';
FLUSH PRIVILEGES;
